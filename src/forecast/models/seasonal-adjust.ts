/**
 * Seasonal adjustment before a non-seasonal model, as the M3 Theta method
 * did (Assimakopoulos & Nikolopoulos 2000): classical decomposition when the
 * lag-m autocorrelation test finds seasonality at 90 %, multiplicative for
 * positive data (additive otherwise, or when an index falls below 0.01, as
 * statsforecast's AutoTheta), and the forecasts re-seasonalised.
 */
import { classicalSeasonalIndices, isSeasonal } from '../stats.js';

export interface Seasonality {
  indices: Float64Array;
  multiplicative: boolean;
}

export function seasonality(y: Float64Array, m: number): Seasonality | null {
  if (m < 4 || y.length < 2 * m || !isSeasonal(y, m)) return null;
  let positive = true;
  for (let t = 0; t < y.length; t++) if (!(y[t]! > 0)) positive = false;
  if (positive) {
    const indices = classicalSeasonalIndices(y, m, true);
    if (indices.every((v) => v >= 0.01)) return { indices, multiplicative: true };
  }
  return { indices: classicalSeasonalIndices(y, m, false), multiplicative: false };
}

/** The seasonally adjusted series (y itself without seasonality). */
export function adjust(y: Float64Array, s: Seasonality | null, m: number): Float64Array {
  if (!s) return y;
  return y.map((v, t) => (s.multiplicative ? v / s.indices[t % m]! : v - s.indices[t % m]!));
}

/** Puts the seasonality back into forecasts out[offset..offset+h) of times t..t+h-1. */
export function reseason(s: Seasonality | null, m: number, out: Float64Array, offset: number, t: number, h: number): void {
  if (!s) return;
  for (let j = 0; j < h; j++) {
    const idx = s.indices[(t + j) % m]!;
    out[offset + j] = s.multiplicative ? out[offset + j]! * idx : out[offset + j]! + idx;
  }
}
