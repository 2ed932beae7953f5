/**
 * The Theta method and its state space forms.
 *
 * - Assimakopoulos & Nikolopoulos (2000), "The theta model: a decomposition
 *   approach to forecasting", IJF 16(4): the M3 winner, on data
 *   seasonally adjusted by classical multiplicative decomposition when a
 *   90 % autocorrelation test finds seasonality.
 * - Hyndman & Billah (2003), IJF 19(2): it equals SES with drift b/2.
 * - Fiorucci, Pellegrini, Louzada, Petropoulos & Koehler (2016), "Models for
 *   optimising the theta method and their relationship to state space
 *   models", IJF 32(4): the standard (STM, θ = 2) and optimised (OTM, θ
 *   estimated) theta models, and their dynamic versions (DSTM, DOTM) whose
 *   trend line An + Bn·t is re-estimated at every step. Parameters (initial
 *   level, α, θ) minimise the in-sample squared one-step errors after a
 *   burn-in of 3, as in the forecTheta R package and statsforecast's
 *   AutoTheta; `autoTheta` keeps the form with the least such error.
 */
import { adjust, reseason, seasonality as thetaSeasonality } from './seasonal-adjust.js';
import { nelderMead } from '../nelder-mead.js';
import type { FittedModel, ModelSpec } from './model.js';

export type ThetaForm = 'STM' | 'OTM' | 'DSTM' | 'DOTM';

export interface ThetaParameters {
  level: number;
  alpha: number;
  theta: number;
}

interface ThetaState {
  level: number;
  meanY: number;
  a: number;
  b: number;
}

const dynamic = (f: ThetaForm) => f === 'DSTM' || f === 'DOTM';

/**
 * The one-step prediction μ at time index i from the state after i − 1 (Fiorucci et al. 2016, eq. 9),
 * given d = (1 − α)^i (kept by the callers, which step i one by one, instead of a pow per step).
 */
function mu(st: ThetaState, d: number, alpha: number, theta: number): number {
  return st.level + (1 - 1 / theta) * (st.a * d + (st.b * (1 - d * (1 - alpha))) / alpha);
}

function step(st: ThetaState, i: number, y: number, alpha: number, isDynamic: boolean): void {
  const prevMean = st.meanY;
  st.level = alpha * y + (1 - alpha) * st.level;
  st.meanY = (i * prevMean + y) / (i + 1);
  if (isDynamic) {
    st.b = ((i - 1) * st.b + (6 * (y - prevMean)) / (i + 1)) / (i + 2);
    st.a = st.meanY - (st.b * (i + 2)) / 2;
  }
}

/** The state after y[0] and the static trend line (An, Bn) of y (least squares on t = 1..n). */
function initialState(y: Float64Array, form: ThetaForm, p: ThetaParameters, staticLine: [number, number]): ThetaState {
  if (dynamic(form)) return { level: p.alpha * y[0]! + (1 - p.alpha) * p.level, meanY: y[0]!, a: y[0]!, b: 0 };
  return { level: p.alpha * y[0]! + (1 - p.alpha) * p.level, meanY: y[0]!, a: staticLine[0], b: staticLine[1] };
}

function trendLine(y: Float64Array): [number, number] {
  const n = y.length;
  let sum = 0;
  let weighted = 0;
  for (let t = 0; t < n; t++) {
    sum += y[t]!;
    weighted += (t + 1) * y[t]!;
  }
  const ym = sum / n;
  const b = n > 1 ? (6 * ((2 * weighted) / n - (n + 1) * ym)) / (n * n - 1) : 0;
  return [ym - ((n + 1) * b) / 2, b];
}

/** Sum of squared one-step errors from index 3 on (the burn-in of forecTheta and statsforecast). */
function sse(y: Float64Array, form: ThetaForm, p: ThetaParameters, line: [number, number]): number {
  const st = initialState(y, form, p, line);
  const isDyn = dynamic(form);
  let s = 0;
  let d = 1 - p.alpha;
  for (let i = 1; i < y.length; i++, d *= 1 - p.alpha) {
    const e = y[i]! - mu(st, d, p.alpha, p.theta);
    if (i >= 3) s += e * e;
    step(st, i, y[i]!, p.alpha, isDyn);
  }
  return s;
}

function forecastFrom(st0: ThetaState, i0: number, h: number, p: ThetaParameters, isDyn: boolean, out: Float64Array, offset: number) {
  const st = { ...st0 };
  let d = Math.pow(1 - p.alpha, i0);
  for (let j = 0; j < h; j++, d *= 1 - p.alpha) {
    const f = mu(st, d, p.alpha, p.theta);
    out[offset + j] = f;
    step(st, i0 + j, f, p.alpha, isDyn);
  }
}

export interface ThetaFit {
  form: ThetaForm;
  parameters: ThetaParameters;
  /** In-sample mean squared one-step error (after the burn-in). */
  mse: number;
  line: [number, number];
}

/** Fits one theta form to (already seasonally adjusted) y. */
export function fitThetaForm(y: Float64Array, form: ThetaForm): ThetaFit | null {
  const n = y.length;
  if (n < 4) return null;
  let scale = 0;
  for (let t = 0; t < n; t++) scale += Math.abs(y[t]!);
  scale = scale / n || 1;
  const ys = y.map((v) => v / scale);
  const line = trendLine(ys);
  const optTheta = form === 'OTM' || form === 'DOTM';
  const dim = optTheta ? 3 : 2;
  const x0 = new Float64Array(dim);
  x0[0] = ys[0]! / 2;
  x0[1] = 0.5;
  if (optTheta) x0[2] = 2;
  const lower = new Float64Array([-1e10, 0.1, 1].slice(0, dim));
  const upper = new Float64Array([1e10, 0.99, 1e10].slice(0, dim));
  const stepSize = new Float64Array([0.1, 0.1, 0.5].slice(0, dim));
  const p: ThetaParameters = { level: 0, alpha: 0.5, theta: 2 };
  const objective = (x: Float64Array) => {
    p.level = x[0]!;
    p.alpha = x[1]!;
    p.theta = optTheta ? x[2]! : 2;
    return sse(ys, form, p, line);
  };
  const best = nelderMead(objective, x0, { lower, upper, step: stepSize, maxEvaluations: 1000, tolerance: 1e-10 });
  if (!Number.isFinite(best.value)) return null;
  return {
    form,
    parameters: { level: best.x[0]! * scale, alpha: best.x[1]!, theta: optTheta ? best.x[2]! : 2 },
    mse: (best.value * scale * scale) / Math.max(1, n - 3),
    line: [line[0] * scale, line[1] * scale],
  };
}

function thetaModel(name: string, y: Float64Array, m: number, forms: ThetaForm[]): FittedModel | null {
  const seasonality = thetaSeasonality(y, m);
  const adjusted = adjust(y, seasonality, m);
  let best: ThetaFit | null = null;
  for (const form of forms) {
    const fit = fitThetaForm(adjusted, form);
    if (fit && (!best || fit.mse < best.mse)) best = fit;
  }
  if (!best) return null;
  const fit = best;
  const isDyn = dynamic(fit.form);
  const run = (series: Float64Array, from: number, to: number, h: number, out: Float64Array) => {
    const adj = adjust(series, seasonality, m);
    const st = initialState(adj, fit.form, fit.parameters, fit.line);
    for (let t = 1; t <= Math.min(to - 1, adj.length); t++) {
      if (t >= from) {
        forecastFrom(st, t, h, fit.parameters, isDyn, out, (t - from) * h);
        reseason(seasonality, m, out, (t - from) * h, t, h);
      }
      if (t < adj.length) step(st, t, adj[t]!, fit.parameters.alpha, isDyn);
    }
  };
  return {
    name: `${name}(${fit.form})`,
    forecast(h) {
      const out = new Float64Array(h);
      run(y, y.length, y.length + 1, h, out);
      return out;
    },
    rolling(series, from, h, out) {
      run(series, Math.max(from, 1), series.length, h, out);
      // Origin 0 has no data: forecast the first value flat (never used by the backtest, which starts later).
      for (let t = from; t < Math.max(from, 1); t++) out.fill(series[0]!, (t - from) * h, (t - from + 1) * h);
    },
  };
}

/** The standard theta method (STM: θ = 2) on seasonally adjusted data: the M3 Theta. */
export const theta: ModelSpec = { name: 'theta', fit: (y, m) => thetaModel('theta', y, m, ['STM']) };
/** The optimised theta model (OTM). */
export const optimizedTheta: ModelSpec = { name: 'otm', fit: (y, m) => thetaModel('otm', y, m, ['OTM']) };
/** The dynamic optimised theta model (DOTM). */
export const dynamicOptimizedTheta: ModelSpec = { name: 'dotm', fit: (y, m) => thetaModel('dotm', y, m, ['DOTM']) };
/** Best of STM, OTM, DSTM and DOTM by in-sample error (as statsforecast's AutoTheta). */
export const autoTheta: ModelSpec = { name: 'auto_theta', fit: (y, m) => thetaModel('theta', y, m, ['STM', 'OTM', 'DSTM', 'DOTM']) };
