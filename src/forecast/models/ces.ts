/**
 * Complex exponential smoothing (CES), non-seasonal, on seasonally adjusted
 * data.
 *
 * Svetunkov & Kourentzes (2018 working paper; Svetunkov, Kourentzes & Ord
 * 2022, "Complex exponential smoothing", Naval Research Logistics 69(8)):
 * a level l and an "information potential" c updated with a complex
 * smoothing parameter a0 + i·a1,
 *
 *   ŷ_t = l_{t-1},  e_t = y_t − ŷ_t
 *   l_t = l_{t-1} − (1 − a1)·c_{t-1} + (a0 − a1)·e_t
 *   c_t = l_{t-1} + (1 − a0)·c_{t-1} + (a0 + a1)·e_t
 *
 * which moves between level and trend behaviour without choosing one.
 * Initial states: l = mean of the first max(10, m) values, c = l / 1.1, then
 * refined by backcasting (a forward, a backward and a forward pass), and
 * (a0, a1) in [0.01, 1.8] × [0.01, 1.9] minimise n·log(SSE), as in the
 * smooth R package and statsforecast's AutoCES. Seasonality is removed
 * first by classical decomposition when the seasonality test finds it (see
 * seasonal-adjust.ts), which keeps the model at two parameters.
 */
import { nelderMead } from '../nelder-mead.js';
import type { FittedModel, ModelSpec } from './model.js';
import { adjust, reseason, seasonality } from './seasonal-adjust.js';

interface CesParameters {
  a0: number;
  a1: number;
  level: number;
  potential: number;
}

/** One pass over y from (l, c); returns the SSE and leaves the end states in `end`. */
function pass(y: Float64Array, a0: number, a1: number, l0: number, c0: number, reverse: boolean, end: Float64Array): number {
  let l = l0;
  let c = c0;
  let sse = 0;
  const n = y.length;
  for (let k = 0; k < n; k++) {
    const yt = y[reverse ? n - 1 - k : k]!;
    const e = yt - l;
    sse += e * e;
    const nl = l - (1 - a1) * c + (a0 - a1) * e;
    c = l + (1 - a0) * c + (a0 + a1) * e;
    l = nl;
  }
  end[0] = l;
  end[1] = c;
  return sse;
}

/** Initial states by backcasting: forward, backward (the backward pass ends at the start). */
function backcast(y: Float64Array, a0: number, a1: number, l0: number, c0: number, out: Float64Array): void {
  pass(y, a0, a1, l0, c0, false, out);
  pass(y, a0, a1, out[0]!, out[1]!, true, out);
}

function fitCes(y: Float64Array): CesParameters | null {
  const n = y.length;
  if (n < 4) return null;
  let scale = 0;
  for (let t = 0; t < n; t++) scale += Math.abs(y[t]!);
  scale = scale / n || 1;
  const ys = y.map((v) => v / scale);
  const k = Math.min(10, n);
  let l0 = 0;
  for (let t = 0; t < k; t++) l0 += ys[t]! / k;
  const c0 = l0 / 1.1;
  const st = new Float64Array(2);
  const end = new Float64Array(2);
  const objective = (x: Float64Array) => {
    const a0 = x[0]!;
    const a1 = x[1]!;
    backcast(ys, a0, a1, l0, c0, st);
    const sse = pass(ys, a0, a1, st[0]!, st[1]!, false, end);
    return Number.isFinite(sse) ? n * Math.log(Math.max(sse, 1e-300)) : Infinity;
  };
  const best = nelderMead(objective, new Float64Array([1.3, 1]), {
    lower: new Float64Array([0.01, 0.01]),
    upper: new Float64Array([1.8, 1.9]),
    step: new Float64Array([0.1, 0.1]),
    maxEvaluations: 400,
    tolerance: 1e-10,
  });
  if (!Number.isFinite(best.value)) return null;
  const a0 = best.x[0]!;
  const a1 = best.x[1]!;
  backcast(ys, a0, a1, l0, c0, st);
  return { a0, a1, level: st[0]! * scale, potential: st[1]! * scale };
}

function cesModel(y: Float64Array, m: number): FittedModel | null {
  const s = seasonality(y, m);
  const adjusted = adjust(y, s, m);
  const p = fitCes(adjusted);
  if (!p) return null;
  const run = (series: Float64Array, from: number, to: number, h: number, out: Float64Array) => {
    const adj = adjust(series, s, m);
    let l = p.level;
    let c = p.potential;
    for (let t = 0; t < to; t++) {
      if (t >= from) {
        let fl = l;
        let fc = c;
        const o = (t - from) * h;
        for (let j = 0; j < h; j++) {
          out[o + j] = fl;
          const nl = fl - (1 - p.a1) * fc;
          fc = fl + (1 - p.a0) * fc;
          fl = nl;
        }
        reseason(s, m, out, o, t, h);
      }
      if (t >= adj.length) break;
      const e = adj[t]! - l;
      const nl = l - (1 - p.a1) * c + (p.a0 - p.a1) * e;
      c = l + (1 - p.a0) * c + (p.a0 + p.a1) * e;
      l = nl;
    }
  };
  return {
    name: 'ces',
    forecast(h) {
      const out = new Float64Array(h);
      run(y, y.length, y.length + 1, h, out);
      return out;
    },
    rolling(series, from, h, out) {
      run(series, from, series.length, h, out);
    },
  };
}

export const ces: ModelSpec = { name: 'ces', fit: cesModel };
