/**
 * One item's forecast: candidate models fitted on the history less a
 * backtest window, a rolling-origin backtest over that window, the
 * combination or selection it supports, a refit on the whole history, and
 * prediction intervals from the backtest's errors.
 *
 * - Non-intermittent demand: the mean of automatic ETS, the standard Theta
 *   method and complex exponential smoothing (a fixed combination of three
 *   diverse models; combinations of a few strong, diverse models beat
 *   selecting one per series on M3 and M4: Makridakis, Spiliotis &
 *   Assimakopoulos 2020, IJF 36(1); Petropoulos & Svetunkov 2020, IJF 36(1)).
 * - Intermittent and lumpy demand: the model among Croston, SBA, TSB, ADIDA
 *   and IMAPA with the least backtest squared error (they all estimate mean
 *   demand per period, whose error measure is the squared one; Kolassa 2016,
 *   IJF 32(3)).
 *
 * Intervals: the backtest's errors per horizon step h give a spread σ_h
 * (root mean square error), smoothed as σ_h = a·h^b by least squares on the
 * logarithms. Smooth demand takes Student's t quantiles of σ_h (degrees of
 * freedom: the backtest's independent h-step errors); intermittent demand
 * the empirical quantiles of its errors divided by σ_h, pooled over steps and
 * centred, so skewed errors give skewed intervals (a split-conformal scheme:
 * Vovk et al. 2005; Stankeviciute et al. 2021), with quantiles below the
 * share of zero periods at 0. docs/forecast.md has the measurements.
 */
import { classifyDemand, type DemandClass } from './classify.js';
import type { FittedModel, ModelSpec } from './models/model.js';
import { ets } from './models/ets.js';
import { theta } from './models/theta.js';
import { ces } from './models/ces.js';
import { adida, croston, imapa, sba, tsb } from './models/intermittent.js';
import { naive, seasonalNaive } from './models/naive.js';
import { naiveScale, quantile, tQuantile } from './stats.js';
import { removeYearly, restoreYearly, yearlyProfile } from './yearly.js';

export interface ForecastOptions {
  /** Periods to forecast. */
  horizon: number;
  /** Seasonal period (1 = none). */
  seasonPeriod: number;
  /** Central interval coverages, e.g. [0.8, 0.95]. */
  levels?: number[];
  /** The backtest forecasts at least this many steps (e.g. lead time + review period, for planning). */
  backtestSteps?: number;
  /** Use these models instead of the automatic choice (combined by their mean). */
  models?: ModelSpec[];
  /** Treat the series as demand: never forecast below zero. Default true. */
  nonNegative?: boolean;
  /** Daily data: look for a yearly pattern besides the weekly one (see yearly.ts). */
  yearly?: boolean;
}

export interface Interval {
  level: number;
  lower: Float64Array;
  upper: Float64Array;
}

export interface Backtest {
  /** Forecast steps per origin. */
  steps: number;
  /** Origins (the last `origins` periods of the history). */
  origins: number;
  /** actual − forecast, origins × steps, NaN where the step lies past the history. */
  errors: Float64Array;
  /** Forecasts, same layout. */
  forecasts: Float64Array;
  /** Mean absolute error over the in-sample seasonal naive one (Hyndman & Koehler 2006). */
  mase: number;
}

export interface ItemForecast {
  /** Name of the model, or `mean(a,b)` for a combination. */
  model: string;
  demandClass: DemandClass;
  mean: Float64Array;
  intervals: Interval[];
  backtest: Backtest | null;
  /** Spread of the forecast errors per step (σ_h), in the data's units. */
  sigma: Float64Array;
  /** Standardised backtest errors (error / σ_h), sorted: the error distribution's shape. */
  standardErrors: Float64Array;
  /** The value at probability p of step h's forecast distribution (0-based step). */
  quantile(p: number, step: number): number;
}

const INTERMITTENT: ModelSpec[] = [croston, sba, tsb, adida, imapa];
const SMOOTH: ModelSpec[] = [ets, theta, ces];
/** Training periods from which the final fit keeps the model form chosen on the training part. */
const REFIT_MIN = 150;
/** Pooled standardised errors needed before their empirical quantiles replace normal ones. */
const EMPIRICAL_MIN = 50;

/**
 * Backtest window: at most a third of the history; within that two horizons,
 * or 100 periods when the history is long (the fixed-parameter replay costs
 * little, and more origins calibrate intervals and safety stock better).
 */
export function backtestWindow(n: number, steps: number): number {
  return Math.max(0, Math.min(Math.max(2 * steps, 100), Math.floor(n / 3)));
}

interface Candidate {
  spec: ModelSpec;
  fitted: FittedModel;
  forecasts: Float64Array;
}

function combineRolling(cands: Candidate[], len: number): Float64Array {
  const out = new Float64Array(len);
  for (const c of cands) for (let i = 0; i < len; i++) out[i] = out[i]! + c.forecasts[i]! / cands.length;
  return out;
}

/** Forecasts one series (no missing values; see `prepareSeries`). */
export function forecastSeries(y: Float64Array, options: ForecastOptions): ItemForecast {
  if (options.yearly) {
    const profile = yearlyProfile(y);
    const rest = { ...options, yearly: false };
    if (!profile) return forecastSeries(y, rest);
    const adjusted = removeYearly(y, profile);
    return restoreYearly(forecastSeries(adjusted, rest), profile, adjusted, options.seasonPeriod, options.nonNegative ?? true);
  }
  const n = y.length;
  const h = options.horizon;
  const m = options.seasonPeriod;
  const levels = options.levels ?? [0.8, 0.95];
  const nonNegative = options.nonNegative ?? true;
  const profile = classifyDemand(y);
  const steps = Math.max(h, options.backtestSteps ?? 0);

  const intermittent = profile.demandClass === 'intermittent' || profile.demandClass === 'lumpy';
  let specs = options.models ?? (intermittent ? INTERMITTENT : SMOOTH);
  let constant = true;
  for (let t = 1; t < n; t++) if (y[t] !== y[0]) constant = false;
  if (n < 4 || (constant && !options.models)) specs = [naive];

  const window = backtestWindow(n, steps);
  const train = y.subarray(0, n - window);
  let chosen: Candidate[] = [];
  let backtest: Backtest | null = null;
  if (window > 0 && train.length >= 4) {
    const scale = naiveScale(train, m) || naiveScale(y, m) || 1;
    const cands: Candidate[] = [];
    for (const spec of specs) {
      const fitted = spec.fit(train, m);
      if (!fitted) continue;
      const forecasts = new Float64Array(window * steps);
      fitted.rolling(y, n - window, steps, forecasts);
      cands.push({ spec, fitted, forecasts });
    }
    if (cands.length === 0) {
      const fitted = seasonalNaive.fit(train, m)!;
      const forecasts = new Float64Array(window * steps);
      fitted.rolling(y, n - window, steps, forecasts);
      cands.push({ spec: seasonalNaive, fitted, forecasts });
    }
    if (intermittent && !options.models) {
      let best = cands[0]!;
      let bestErr = Infinity;
      for (const c of cands) {
        const err = backtestErrors(y, n - window, steps, c.forecasts, nonNegative).sse;
        if (err < bestErr) {
          bestErr = err;
          best = c;
        }
      }
      chosen = [best];
    } else chosen = cands;
    const forecasts = combineRolling(chosen, window * steps);
    const { errors, mae } = backtestErrors(y, n - window, steps, forecasts, nonNegative);
    backtest = { steps, origins: window, errors, forecasts, mase: mae / scale };
  }

  // Refit the chosen models on the whole history.
  const finals: FittedModel[] = [];
  const toFit = chosen.length ? chosen : specs.map((spec) => ({ spec, fitted: null as FittedModel | null }));
  for (const c of toFit) {
    // A long training part chose its model form as well as the whole history would: keep it and start from its
    // parameters (half the cost of an automatic ETS). A short one selects again on the whole history.
    const f = c.fitted && c.spec.refit && train.length >= REFIT_MIN ? c.spec.refit(y, m, c.fitted) : c.spec.fit(y, m);
    if (f) finals.push(f);
  }
  if (finals.length === 0) finals.push(naive.fit(y, m)!);
  const mean = new Float64Array(h);
  for (const f of finals) {
    const fc = f.forecast(h);
    for (let j = 0; j < h; j++) mean[j] = mean[j]! + fc[j]! / finals.length;
  }
  if (nonNegative) for (let j = 0; j < h; j++) if (!(mean[j]! > 0)) mean[j] = 0;
  const model = finals.length === 1 ? finals[0]!.name : `mean(${finals.map((f) => f.name).join(',')})`;

  const { sigma, standardErrors, df } = errorModel(backtest, y, m, Math.max(h, steps));
  // Share of zero demand in the recent history: a quantile below it is 0 (an atom at zero).
  const recent = backtest ? backtest.origins : n;
  let zeros = 0;
  for (let t = n - recent; t < n; t++) if (y[t] === 0) zeros++;
  const zeroShare = nonNegative && recent > 0 ? zeros / recent : 0;
  // Smooth demand: Student's t around the forecast for the uncertainty of σ_h itself, with as many degrees of
  // freedom as the backtest holds effectively independent h-step errors (see effectiveCounts). Intermittent
  // demand: the backtest's own (skewed) error shape once there are enough errors.
  const empirical = intermittent && standardErrors.length >= EMPIRICAL_MIN;
  const q = (p: number, step: number) => {
    if (p <= zeroShare) return 0;
    const s = sigma[Math.min(step, sigma.length - 1)]!;
    const z = empirical ? quantile(standardErrors, p, true) : tQuantile(p, df[Math.min(step, df.length - 1)]!);
    const v = mean[Math.min(step, h - 1)]! + z * s;
    return nonNegative ? Math.max(0, v) : v;
  };
  const intervals = levels.map((level) => {
    const lower = new Float64Array(h);
    const upper = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      lower[j] = q((1 - level) / 2, j);
      upper[j] = q((1 + level) / 2, j);
    }
    return { level, lower, upper };
  });
  return { model, demandClass: profile.demandClass, mean, intervals, backtest, sigma, standardErrors, quantile: q };
}

function backtestErrors(y: Float64Array, from: number, steps: number, forecasts: Float64Array, nonNegative: boolean) {
  const window = y.length - from;
  const errors = new Float64Array(window * steps).fill(NaN);
  let abs = 0;
  let sq = 0;
  let count = 0;
  for (let o = 0; o < window; o++) {
    for (let j = 0; j < steps; j++) {
      const t = from + o + j;
      if (t >= y.length) break;
      let f = forecasts[o * steps + j]!;
      if (nonNegative && f < 0) f = 0;
      const e = y[t]! - f;
      errors[o * steps + j] = e;
      abs += Math.abs(e);
      sq += e * e;
      count++;
    }
  }
  return { errors, mae: count ? abs / count : NaN, sse: count ? sq / count : Infinity };
}

/**
 * σ_h per step from the backtest (or, without one, from the in-sample
 * seasonal naive errors growing like a random walk), and the pooled
 * standardised errors.
 */
function errorModel(backtest: Backtest | null, y: Float64Array, m: number, steps: number): { sigma: Float64Array; standardErrors: Float64Array; df: Float64Array } {
  const sigma = new Float64Array(steps);
  const df = new Float64Array(steps).fill(2);
  if (!backtest) {
    const s = naiveScale(y, m) * 1.25 || Math.abs(y[y.length - 1] ?? 0) * 0.1 || 1;
    for (let j = 0; j < steps; j++) sigma[j] = s * Math.sqrt(j + 1);
    return { sigma, standardErrors: new Float64Array(0), df };
  }
  const { errors, origins, steps: bs } = backtest;
  // Weighted least squares of log RMSE_h on log h.
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  const rms = new Float64Array(bs);
  const cnt = new Float64Array(bs);
  for (let j = 0; j < bs; j++) {
    let s = 0;
    let c = 0;
    for (let o = 0; o < origins; o++) {
      const e = errors[o * bs + j]!;
      if (!Number.isNaN(e)) {
        s += e * e;
        c++;
      }
    }
    cnt[j] = c;
    if (c === 0) continue;
    rms[j] = Math.sqrt(s / c);
    if (rms[j]! <= 0) continue;
    const x = Math.log(j + 1);
    const v = Math.log(rms[j]!);
    sw += c;
    sx += c * x;
    sy += c * v;
    sxx += c * x * x;
    sxy += c * x * v;
  }
  let a: number;
  let b: number;
  if (sw === 0) {
    a = Math.log(naiveScale(y, m) || 1);
    b = 0.5;
  } else {
    const den = sw * sxx - sx * sx;
    b = den > 1e-12 ? (sw * sxy - sx * sy) / den : 0.5;
    b = Math.min(1.5, Math.max(0, b));
    a = (sy - b * sx) / sw;
  }
  for (let j = 0; j < steps; j++) sigma[j] = Math.exp(a + b * Math.log(j + 1));
  let total = 0;
  for (let j = 0; j < bs; j++) total += cnt[j]!;
  const standardErrors = new Float64Array(total);
  let k = 0;
  for (let o = 0; o < origins; o++)
    for (let j = 0; j < bs; j++) {
      const e = errors[o * bs + j]!;
      if (!Number.isNaN(e)) standardErrors[k++] = sigma[j]! > 0 ? e / sigma[j]! : 0;
    }
  // Centre the errors: a bias of the backtest window (a trend that turned) is not the future's,
  // and left in, it shifts every interval the same way.
  let zMean = 0;
  for (let i = 0; i < k; i++) zMean += standardErrors[i]! / k;
  for (let i = 0; i < k; i++) standardErrors[i] = standardErrors[i]! - zMean;
  effectiveCounts(backtest, sigma, zMean, df);
  standardErrors.sort();
  return { sigma, standardErrors, df };
}

/**
 * Degrees of freedom of the t quantiles per step: the effective number of
 * independent errors behind σ_h. The h-step errors of neighbouring origins
 * share up to h − 1 periods and are correlated; Bartlett's effective sample
 * size c / (1 + 2 Σ_k (1 − k/c) ρ_k) over the lags k < h (where overlapping
 * windows make them correlated; positive ρ_k only), with ρ_k the
 * autocorrelation of the standardised step-h errors across origins, counts
 * them (Bartlett 1946; Thiébaux & Zwiers 1984, J. Climate Appl. Meteor.
 * 23(5)). A random-walk-like series, whose errors overlap fully, gets about
 * W / h; a series whose errors are independent gets W. At least 2.
 */
function effectiveCounts(backtest: Backtest, sigma: Float64Array, zMean: number, df: Float64Array): void {
  const { errors, origins, steps } = backtest;
  const col = new Float64Array(origins);
  for (let j = 0; j < df.length; j++) {
    const jj = Math.min(j, steps - 1);
    let c = 0;
    for (let o = 0; o < origins; o++) {
      const e = errors[o * steps + jj]!;
      if (!Number.isNaN(e)) col[c++] = e / sigma[jj]! - zMean;
    }
    if (c < 3) {
      df[j] = 2;
      continue;
    }
    let v = 0;
    for (let i = 0; i < c; i++) v += col[i]! * col[i]!;
    let acc = 0;
    for (let k = 1; k <= Math.min(jj, c - 2); k++) {
      let r = 0;
      for (let i = k; i < c; i++) r += col[i]! * col[i - k]!;
      r /= v;
      if (r > 0) acc += r * (1 - k / c);
    }
    df[j] = Math.max(2, c / (1 + 2 * acc));
  }
}
