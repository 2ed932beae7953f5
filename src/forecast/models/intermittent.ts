/**
 * Models for intermittent demand (many zero periods).
 *
 * - Croston (1972), "Forecasting and stock control for intermittent demands",
 *   ORQ 23(3): SES (α = 0.1) of the non-zero demand sizes and of the
 *   intervals between them; the forecast is their ratio.
 * - SBA: Syntetos & Boylan (2005), IJF 21(2): Croston × (1 − α/2) = 0.95,
 *   removing Croston's bias.
 * - TSB: Teunter, Syntetos & Babai (2011), EJOR 214(3): SES of the demand
 *   size and of the probability of a demand, which decays in long runs of
 *   zeros (obsolescence). Here α_d = α_p = 0.1 unless given.
 * - ADIDA: Nikolopoulos, Syntetos, Boylan, Petropoulos & Assimakopoulos
 *   (2011), JORS 62(3): sum the series into buckets of the mean inter-demand
 *   interval, forecast the buckets by SES, share the forecast out equally.
 * - IMAPA: Petropoulos & Kourentzes (2015), JORS 66(6): the mean of
 *   ADIDA-like forecasts over every aggregation level 1…mean interval.
 *
 * The SES conventions (first fitted value = first observation; α of the
 * aggregated series optimised on [0.1, 0.3] by golden section) follow
 * statsforecast's models.py/ses.cpp so that its outputs serve as reference
 * values (test/fixtures/forecast).
 */
import type { FittedModel, ModelSpec } from './model.js';
import { refitRolling } from './model.js';

/** SES one-step forecast after x with the first fitted value x[0]. */
export function sesForecast(x: ArrayLike<number>, alpha: number, n = x.length): number {
  if (n === 0) return NaN;
  let f = x[0]!;
  for (let i = 1; i < n; i++) f = alpha * x[i - 1]! + (1 - alpha) * f;
  return n === 1 ? f : alpha * x[n - 1]! + (1 - alpha) * f;
}

function sesSse(x: ArrayLike<number>, alpha: number): number {
  let f = x[0]!;
  let s = 0;
  for (let i = 1; i < x.length; i++) {
    f = alpha * x[i - 1]! + (1 - alpha) * f;
    s += (x[i]! - f) ** 2;
  }
  return s;
}

/** α minimising SES's squared one-step errors on [lower, upper] by golden-section search (Kiefer 1953). */
export function optimalSesAlpha(x: ArrayLike<number>, lower = 0.1, upper = 0.3): number {
  const gr = (Math.sqrt(5) + 1) / 2;
  let a = lower;
  let b = upper;
  let c = b - (b - a) / gr;
  let d = a + (b - a) / gr;
  let fc = sesSse(x, c);
  let fd = sesSse(x, d);
  while (Math.abs(b - a) >= 1e-12) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - (b - a) / gr;
      fc = sesSse(x, c);
    } else if (fd < fc) {
      a = c;
      c = d;
      fc = fd;
      d = a + (b - a) / gr;
      fd = sesSse(x, d);
    } else break;
  }
  return (a + b) / 2;
}

/** Demand sizes (the non-zero values) and the intervals between demands (the first counted from the start). */
function sizesAndIntervals(y: Float64Array): { sizes: Float64Array; intervals: Float64Array } {
  let count = 0;
  for (let t = 0; t < y.length; t++) if (y[t] !== 0) count++;
  const sizes = new Float64Array(count);
  const intervals = new Float64Array(count);
  let k = 0;
  let last = -1;
  for (let t = 0; t < y.length; t++) {
    if (y[t] !== 0) {
      sizes[k] = y[t]!;
      intervals[k] = t - last;
      last = t;
      k++;
    }
  }
  return { sizes, intervals };
}

/** Mean interval between demands (Syntetos–Boylan's ADI). */
export function meanInterval(y: Float64Array): number {
  const { intervals } = sizesAndIntervals(y);
  if (intervals.length === 0) return Infinity;
  let s = 0;
  for (const v of intervals) s += v;
  return s / intervals.length;
}

/** Python's round(): halves go to the even neighbour (statsforecast rounds the mean interval so). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function flat(name: string, value: number, spec: ModelSpec, m: number): FittedModel {
  return refitRolling(spec, m, { name, forecast: (h) => new Float64Array(h).fill(value) });
}

function crostonValue(y: Float64Array, alpha: number): number {
  const { sizes, intervals } = sizesAndIntervals(y);
  if (sizes.length === 0) return y[y.length - 1] ?? 0;
  const z = sesForecast(sizes, alpha);
  const p = sesForecast(intervals, alpha);
  return p !== 0 ? z / p : z;
}

export const croston: ModelSpec = {
  name: 'croston',
  fit(y, m) {
    return y.length ? flat('croston', crostonValue(y, 0.1), croston, m) : null;
  },
};

export const sba: ModelSpec = {
  name: 'sba',
  fit(y, m) {
    return y.length ? flat('sba', 0.95 * crostonValue(y, 0.1), sba, m) : null;
  },
};

export function tsbValue(y: Float64Array, alphaDemand = 0.1, alphaProbability = 0.1): number {
  const { sizes } = sizesAndIntervals(y);
  if (sizes.length === 0) return 0;
  const prob = y.map((v) => (v !== 0 ? 1 : 0));
  return sesForecast(prob, alphaProbability) * sesForecast(sizes, alphaDemand);
}

export const tsb: ModelSpec = {
  name: 'tsb',
  fit(y, m) {
    return y.length ? flat('tsb', tsbValue(y), tsb, m) : null;
  },
};

/** Sums of consecutive buckets of `level` periods, dropping the oldest n mod level periods. */
function bucketSums(y: Float64Array, level: number): Float64Array {
  const lost = y.length % level;
  const k = (y.length - lost) / level;
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < level; j++) s += y[lost + i * level + j]!;
    out[i] = s;
  }
  return out;
}

function aggregatedForecast(y: Float64Array, level: number): number {
  const sums = bucketSums(y, level);
  if (sums.length === 0) return NaN;
  return sesForecast(sums, optimalSesAlpha(sums)) / level;
}

export function adidaValue(y: Float64Array): number {
  const adi = meanInterval(y);
  if (!Number.isFinite(adi)) return 0;
  const level = Math.max(1, roundHalfEven(adi));
  return aggregatedForecast(y, level);
}

export function imapaValue(y: Float64Array): number {
  const adi = meanInterval(y);
  if (!Number.isFinite(adi)) return 0;
  const maxLevel = Math.max(1, roundHalfEven(adi));
  let s = 0;
  let c = 0;
  for (let level = 1; level <= maxLevel; level++) {
    const f = aggregatedForecast(y, level);
    if (Number.isFinite(f)) {
      s += f;
      c++;
    }
  }
  return c ? s / c : 0;
}

export const adida: ModelSpec = {
  name: 'adida',
  fit(y, m) {
    return y.length ? flat('adida', adidaValue(y), adida, m) : null;
  },
};

export const imapa: ModelSpec = {
  name: 'imapa',
  fit(y, m) {
    return y.length ? flat('imapa', imapaValue(y), imapa, m) : null;
  },
};
