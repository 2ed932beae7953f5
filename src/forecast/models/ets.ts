/**
 * Exponential smoothing state space models (ETS) and their automatic
 * selection by AICc.
 *
 * Hyndman, Koehler, Ord & Snyder (2008), "Forecasting with Exponential
 * Smoothing: The State Space Approach", Springer; Hyndman, Koehler, Snyder &
 * Grose (2002), IJF 18(3). The recursions, the initial states (classical
 * decomposition of the first three seasons, a line through the first
 * seasonally adjusted values), the likelihood n·log(SSE) (+ 2·Σlog|ŷ| for
 * multiplicative errors), the "usual" parameter region (β < α, γ < 1 − α,
 * 0.8 ≤ φ ≤ 0.98) and the model set (no additive error with multiplicative
 * season, no multiplicative trend) follow R's forecast::ets (etscalc.c,
 * initstate, initparam). Initial states are optimised jointly with the
 * smoothing parameters, m − 1 free seasonal states, the last fixed so they
 * sum to 0 (additive) or m (multiplicative).
 *
 * SES, Holt and damped Holt are the fixed forms ETS(A,N,N), ETS(A,A,N) and
 * ETS(A,Ad,N).
 */
import { linearTrend, classicalSeasonalIndices, mean } from '../stats.js';
import { nelderMead } from '../nelder-mead.js';
import type { FittedModel, ModelSpec } from './model.js';

export type EtsError = 'A' | 'M';
export type EtsTrend = 'N' | 'A' | 'Ad';
export type EtsSeason = 'N' | 'A' | 'M';
export interface EtsForm {
  error: EtsError;
  trend: EtsTrend;
  season: EtsSeason;
}

export interface EtsParameters {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  /** Initial states in the data's units: level, growth, seasonal states for t = 0..m-1. */
  level: number;
  growth: number;
  seasonal: Float64Array;
}

export interface EtsFit extends FittedModel {
  form: EtsForm;
  m: number;
  parameters: EtsParameters;
  /** −2·log-likelihood up to a constant (R's `lik`). */
  lik: number;
  aicc: number;
  /** Number of estimated parameters (smoothing parameters and initial states). */
  parameterCount: number;
}

const TOL = 1e-10;
const LOWER = { alpha: 1e-4, beta: 1e-4, gamma: 1e-4, phi: 0.8 };
const UPPER = { alpha: 0.9999, beta: 0.9999, gamma: 0.9999, phi: 0.98 };

export const formName = (f: EtsForm) => `ETS(${f.error},${f.trend},${f.season})`;

interface Codes {
  errM: boolean;
  trend: boolean;
  season: 0 | 1 | 2; // none, additive, multiplicative
  m: number;
}

/**
 * Runs the model's filter through y[0..n) from the initial states in `s`
 * (modified: on return it holds the last m seasonal states) and returns the
 * likelihood, or Infinity when a multiplicative model leaves its domain.
 */
function likelihood(y: Float64Array, n: number, c: Codes, alpha: number, beta: number, gamma: number, phi: number, l0: number, b0: number, s: Float64Array): number {
  const { errM, trend, season, m } = c;
  let l = l0;
  let b = trend ? b0 : 0;
  let sse = 0;
  let logSum = 0;
  // Σ log ŷ as the log of a running product, renormalised before it over- or underflows (one log per ~100 steps, not per step).
  let prod = 1;
  let si = 0;
  const ratio = beta / alpha;
  for (let t = 0; t < n; t++) {
    const phib = trend ? phi * b : 0;
    const q = l + phib;
    const sv = season ? s[si]! : 0;
    const yhat = season === 2 ? q * sv : q + sv;
    const yt = y[t]!;
    let e: number;
    if (errM) {
      if (!(yhat > TOL)) return Infinity;
      e = (yt - yhat) / yhat;
      prod *= yhat;
      if (prod > 1e150 || prod < 1e-150) {
        logSum += Math.log(prod);
        prod = 1;
      }
    } else e = yt - yhat;
    sse += e * e;
    let p: number;
    if (season === 0) p = yt;
    else if (season === 1) p = yt - sv;
    else {
      if (sv < TOL) return Infinity;
      p = yt / sv;
    }
    const nl = q + alpha * (p - q);
    if (trend) b = phib + ratio * (nl - l - phib);
    if (season) {
      let tt: number;
      if (season === 1) tt = yt - q;
      else {
        if (Math.abs(q) < TOL) return Infinity;
        tt = yt / q;
      }
      s[si] = sv + gamma * (tt - sv);
      if (++si === m) si = 0;
    }
    l = nl;
  }
  if (!Number.isFinite(sse)) return Infinity;
  return n * Math.log(Math.max(sse, 1e-300)) + (errM ? 2 * (logSum + Math.log(prod)) : 0);
}

/**
 * Filters y with fixed parameters and writes h-step forecasts from every
 * origin t in [from, to) (t ≤ y.length; origin t has seen y[0..t)).
 */
function runForecasts(y: Float64Array, c: Codes, p: EtsParameters, from: number, to: number, h: number, out: Float64Array): void {
  const { trend, season, m } = c;
  const s = p.seasonal.slice();
  const phi = trend ? p.phi : 0;
  let l = p.level;
  let b = trend ? p.growth : 0;
  const ratio = p.beta / p.alpha;
  // Cumulated damping φ + φ² + … + φ^j for each step.
  const damp = new Float64Array(h);
  let acc = 0;
  let pw = 1;
  for (let j = 0; j < h; j++) {
    pw *= phi;
    acc += pw;
    damp[j] = acc;
  }
  for (let t = 0; t < to; t++) {
    if (t >= from) {
      const o = (t - from) * h;
      for (let j = 0; j < h; j++) {
        const lev = l + damp[j]! * b;
        const sv = season ? s[(t + j) % m]! : 0;
        out[o + j] = season === 2 ? lev * sv : lev + sv;
      }
    }
    if (t >= y.length) break;
    const yt = y[t]!;
    const phib = trend ? phi * b : 0;
    const q = l + phib;
    const si = season ? t % m : 0;
    const sv = season ? s[si]! : 0;
    const pv = season === 0 ? yt : season === 1 ? yt - sv : sv !== 0 ? yt / sv : q;
    const nl = q + p.alpha * (pv - q);
    if (trend) b = phib + ratio * (nl - l - phib);
    if (season) s[si] = sv + p.gamma * ((season === 1 ? yt - q : q !== 0 ? yt / q : sv) - sv);
    l = nl;
  }
}

/** R's initstate: seasonal states from a classical decomposition, level and growth from a line. */
function initialStates(y: Float64Array, form: EtsForm, m: number): { level: number; growth: number; seasonal: Float64Array } {
  const n = y.length;
  let seasonal: Float64Array = new Float64Array(Math.max(m, 1));
  let adjusted: Float64Array = y;
  if (form.season !== 'N') {
    const mult = form.season === 'M';
    if (n >= 3 * m) {
      seasonal = classicalSeasonalIndices(y.subarray(0, 3 * m), m, mult);
    } else {
      // Too short for a decomposition: per-season means around a fitted line.
      const [a, bb] = linearTrend(y);
      const sums = new Float64Array(m);
      const counts = new Float64Array(m);
      for (let t = 0; t < n; t++) {
        const tr = a + bb * (t + 1);
        sums[t % m] = sums[t % m]! + (mult ? y[t]! / tr : y[t]! - tr);
        counts[t % m]! += 1;
      }
      let total = 0;
      for (let i = 0; i < m; i++) {
        seasonal[i] = counts[i]! > 0 ? sums[i]! / counts[i]! : mult ? 1 : 0;
        total += seasonal[i]!;
      }
      for (let i = 0; i < m; i++) seasonal[i] = mult ? (seasonal[i]! * m) / total : seasonal[i]! - total / m;
    }
    if (mult) for (let i = 0; i < m; i++) seasonal[i] = Math.max(seasonal[i]!, 1e-2);
    adjusted = new Float64Array(n);
    for (let t = 0; t < n; t++) adjusted[t] = mult ? y[t]! / seasonal[t % m]! : y[t]! - seasonal[t % m]!;
  } else seasonal = new Float64Array(0);
  const maxn = Math.min(Math.max(10, 2 * m), n);
  if (form.trend === 'N') return { level: mean(adjusted, 0, maxn), growth: 0, seasonal };
  let [l0, b0] = linearTrend(adjusted, maxn);
  if (Math.abs(l0 + b0) < 1e-8) {
    l0 *= 1 + 1e-3;
    b0 *= 1 + 1e-3;
  }
  return { level: l0, growth: b0, seasonal };
}

function codesOf(form: EtsForm, m: number): Codes {
  return { errM: form.error === 'M', trend: form.trend !== 'N', season: form.season === 'N' ? 0 : form.season === 'A' ? 1 : 2, m: form.season === 'N' ? 1 : m };
}

/** Parameters counted by R's ets to decide whether a model can be fitted at all. */
function minimumParameters(form: EtsForm, m: number): number {
  return 2 + (form.trend !== 'N' ? 2 : 0) + (form.season !== 'N' ? m : 0) + (form.trend === 'Ad' ? 1 : 0);
}

export interface EtsFitOptions {
  /** Start the optimiser from these parameters (a refit, or polishing a screened fit). */
  start?: EtsParameters;
  maxEvaluations?: number;
  /** Restart the simplex once from its optimum (default: when not warm-started). */
  restart?: boolean;
  /** Multiplies the initial simplex steps (default 1, or 1/4 when warm-started). */
  stepScale?: number;
}

/** Fits one ETS form to y by maximum likelihood; null when the history is too short or the form inadmissible. */
export function fitEts(y: Float64Array, m: number, form: EtsForm, options: EtsFitOptions = {}): EtsFit | null {
  const n = y.length;
  if (form.season !== 'N' && (m < 2 || n < m + 2)) return null;
  if (n <= minimumParameters(form, m) + 4) return null;
  if ((form.error === 'M' || form.season === 'M') && !allPositive(y)) return null;
  const codes = codesOf(form, m);
  const mm = codes.m;

  // Fit on data scaled to mean |y| = 1, so that one simplex step suits states and parameters alike;
  // the likelihoods of all forms shift by the same 2n·log(scale), so AICc comparisons hold.
  let scale = 0;
  for (let t = 0; t < n; t++) scale += Math.abs(y[t]!);
  scale = scale / n || 1;
  const ys = new Float64Array(n);
  for (let t = 0; t < n; t++) ys[t] = y[t]! / scale;

  const hasTrend = form.trend !== 'N';
  const damped = form.trend === 'Ad';
  const hasSeason = form.season !== 'N';
  const mult = form.season === 'M';
  const init = options.start ? scaledParameters(options.start, scale, mult) : null;
  const states = init ? { level: init.level, growth: init.growth, seasonal: init.seasonal } : initialStates(ys, form, mm);

  // Parameter vector: alpha, [beta], [gamma], [phi], level, [growth], [s_1 … s_{m-1}].
  const dim = 1 + (hasTrend ? 1 : 0) + (hasSeason ? 1 : 0) + (damped ? 1 : 0) + 1 + (hasTrend ? 1 : 0) + (hasSeason ? mm - 1 : 0);
  const x0 = new Float64Array(dim);
  const lower = new Float64Array(dim);
  const upper = new Float64Array(dim);
  const step = new Float64Array(dim);
  let k = 0;
  const put = (v: number, lo: number, hi: number, st: number) => {
    x0[k] = Math.min(hi, Math.max(lo, v));
    lower[k] = lo;
    upper[k] = hi;
    step[k] = st;
    k++;
  };
  // R's initparam.
  let alpha = init ? init.alpha : LOWER.alpha + (0.2 * (UPPER.alpha - LOWER.alpha)) / mm;
  if (alpha > 1 || alpha < 0) alpha = LOWER.alpha + 2e-3;
  put(alpha, LOWER.alpha, UPPER.alpha, 0.1);
  if (hasTrend) {
    let beta = init ? init.beta : LOWER.beta + 0.1 * (UPPER.beta - LOWER.beta);
    if (beta < 0 || beta > alpha) beta = alpha - 1e-3;
    put(Math.max(beta, LOWER.beta), LOWER.beta, UPPER.beta, 0.05);
  }
  if (hasSeason) {
    let gamma = init ? init.gamma : LOWER.gamma + 0.05 * (UPPER.gamma - LOWER.gamma);
    if (gamma < 0 || gamma > 1 - alpha) gamma = 1 - alpha - 1e-3;
    put(Math.max(gamma, LOWER.gamma), LOWER.gamma, UPPER.gamma, 0.05);
  }
  if (damped) put(init ? init.phi : LOWER.phi + 0.99 * (UPPER.phi - LOWER.phi), LOWER.phi, UPPER.phi, 0.05);
  const stateBound = 1e3;
  put(states.level, -stateBound, stateBound, 0.1);
  if (hasTrend) put(states.growth, -stateBound, stateBound, 0.05);
  if (hasSeason) for (let i = 1; i < mm; i++) put(states.seasonal[i]!, mult ? 1e-3 : -stateBound, stateBound, 0.05);

  const s = new Float64Array(mm);
  const unpack = (x: Float64Array, into: Float64Array): [number, number, number, number, number, number] | null => {
    let j = 0;
    const a = x[j++]!;
    const b = hasTrend ? x[j++]! : 0;
    const g = hasSeason ? x[j++]! : 0;
    const ph = damped ? x[j++]! : 1;
    const l0 = x[j++]!;
    const b0 = hasTrend ? x[j++]! : 0;
    // The usual region (Hyndman et al. 2008, §5.2; R's check.param).
    if (hasTrend && b > a) return null;
    if (hasSeason && g > 1 - a) return null;
    if (hasSeason) {
      let sum = 0;
      for (let i = 1; i < mm; i++) {
        into[i] = x[j++]!;
        sum += into[i]!;
      }
      into[0] = mult ? mm - sum : -sum;
      if (mult && into[0]! < 1e-3) return null;
    }
    return [a, b, g, ph, l0, b0];
  };
  const objective = (x: Float64Array) => {
    const u = unpack(x, s);
    if (!u) return Infinity;
    return likelihood(ys, n, codes, u[0], u[1], u[2], u[3], u[4], u[5], s);
  };
  // A warm start begins near the optimum: smaller steps, no restart, unless told otherwise.
  const stepScale = options.stepScale ?? (init ? 0.25 : 1);
  for (let j = 0; j < dim; j++) step[j] = step[j]! * stepScale;
  const maxEvaluations = options.maxEvaluations ?? (init ? 60 * dim : Math.max(400, 120 * dim));
  let best = nelderMead(objective, x0, { lower, upper, step, maxEvaluations, tolerance: 1e-8 });
  if (options.restart ?? !init) {
    // One restart from the optimum: a fresh simplex escapes the collapsed one (Nelder & Mead's own advice).
    const again = nelderMead(objective, best.x, { lower, upper, step, maxEvaluations: Math.ceil(maxEvaluations / 2), tolerance: 1e-8 });
    if (again.value <= best.value) best = again;
  }
  if (!Number.isFinite(best.value)) return null;
  const seasonal = new Float64Array(mm);
  const u = unpack(best.x, seasonal)!;
  const lik = best.value + 2 * n * Math.log(scale);
  const parameterCount = dim;
  const np = parameterCount + 1;
  const aicc = n - np - 1 > 0 ? lik + 2 * np + (2 * np * (np + 1)) / (n - np - 1) : Infinity;
  const parameters: EtsParameters = {
    alpha: u[0],
    beta: u[1],
    gamma: u[2],
    phi: u[3],
    level: u[4] * scale,
    growth: u[5] * scale,
    seasonal: hasSeason ? seasonal.map((v) => (mult ? v : v * scale)) : new Float64Array(1),
  };
  return etsModel(y, m, form, parameters, lik, aicc, parameterCount);
}

function scaledParameters(p: EtsParameters, scale: number, mult: boolean): EtsParameters {
  return { ...p, level: p.level / scale, growth: p.growth / scale, seasonal: p.seasonal.map((v) => (mult ? v : v / scale)) };
}

/** −2·log-likelihood (up to a constant) of given parameters on y, as R's and statsforecast's `lik`. */
export function etsLikelihood(y: Float64Array, m: number, form: EtsForm, p: EtsParameters): number {
  const codes = codesOf(form, m);
  const s = p.seasonal.slice();
  return likelihood(y, y.length, codes, p.alpha, p.beta, p.gamma, p.phi, p.level, p.growth, s);
}

/** The fitted model of given parameters (exported for tests against reference values). */
export function etsModel(y: Float64Array, m: number, form: EtsForm, parameters: EtsParameters, lik = NaN, aicc = NaN, parameterCount = 0): EtsFit {
  const codes = codesOf(form, m);
  return {
    name: formName(form),
    form,
    m: codes.m,
    parameters,
    lik,
    aicc,
    parameterCount,
    forecast(h) {
      const out = new Float64Array(h);
      runForecasts(y, codes, parameters, y.length, y.length + 1, h, out);
      return out;
    },
    rolling(series, from, h, out) {
      runForecasts(series, codes, parameters, from, series.length, h, out);
    },
  };
}

function allPositive(y: Float64Array): boolean {
  for (let t = 0; t < y.length; t++) if (!(y[t]! > 0)) return false;
  return true;
}

/** The forms R's ets() tries for `model = "ZZZ"` (no multiplicative trend, restrict = TRUE). */
export function candidateForms(y: Float64Array, m: number, seasonal = true): EtsForm[] {
  const positive = allPositive(y);
  const forms: EtsForm[] = [];
  const errors: EtsError[] = positive ? ['A', 'M'] : ['A'];
  // Like R's ets(), no seasonal ETS beyond m = 24 (weekly data's 52 initial states cannot be estimated).
  const seasons: EtsSeason[] = m > 1 && m <= 24 && seasonal ? (positive ? ['N', 'A', 'M'] : ['N', 'A']) : ['N'];
  for (const error of errors)
    for (const trend of ['N', 'A', 'Ad'] as EtsTrend[])
      for (const season of seasons) {
        if (error === 'A' && season === 'M') continue;
        forms.push({ error, trend, season });
      }
  return forms;
}

/** Forms kept from the screening pass for the full optimisation. */
const POLISHED = 2;

/**
 * Fits every candidate form and keeps the one of least AICc (Hyndman et al.
 * 2002, §4). To save time every form is first fitted with a short simplex
 * run (screening); the three best by that AICc are then optimised fully
 * from there, and the best of those wins. Forms screened out lose by AICc
 * margins that a longer optimisation rarely closes; the winner is optimised
 * as thoroughly as without screening.
 */
export function autoEts(y: Float64Array, m: number, forms = candidateForms(y, m)): EtsFit | null {
  const screened: EtsFit[] = [];
  for (const form of forms) {
    const dim = 2 + (form.trend !== 'N' ? 2 : 0) + (form.trend === 'Ad' ? 1 : 0) + (form.season !== 'N' ? m : 0);
    const fit = fitEts(y, m, form, { maxEvaluations: 100 + 30 * dim, restart: false });
    if (fit && Number.isFinite(fit.aicc)) screened.push(fit);
  }
  screened.sort((a, b) => a.aicc - b.aicc);
  let best: EtsFit | null = null;
  for (const s of screened.slice(0, POLISHED)) {
    const polished = fitEts(y, m, s.form, { start: s.parameters, stepScale: 0.5, restart: true, maxEvaluations: Math.max(300, 80 * s.parameterCount) });
    const fit = polished && polished.aicc <= s.aicc ? polished : s;
    if (!best || fit.aicc < best.aicc) best = fit;
  }
  return best;
}

/** Keeps the form chosen on the shorter history and starts from its parameters. */
function refitEts(y: Float64Array, m: number, earlier: FittedModel): EtsFit | null {
  const e = earlier as EtsFit;
  return fitEts(y, m, e.form, { start: e.parameters }) ?? fitEts(y, m, e.form);
}

export const ets: ModelSpec = { name: 'ets', fit: (y, m) => autoEts(y, m), refit: refitEts };
const fixed = (name: string, form: EtsForm): ModelSpec => ({ name, fit: (y, m) => fitEts(y, m, form), refit: refitEts });
export const ses = fixed('ses', { error: 'A', trend: 'N', season: 'N' });
export const holt = fixed('holt', { error: 'A', trend: 'A', season: 'N' });
export const dampedHolt = fixed('damped', { error: 'A', trend: 'Ad', season: 'N' });
