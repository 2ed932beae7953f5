/**
 * A yearly pattern in daily data, besides the weekly one.
 *
 * Which and why: the weekly pattern stays inside the models (m = 7, which
 * ETS, Theta and CES handle well), while the yearly one is removed first
 * and put back afterwards: a 365-day season is far beyond what a seasonal
 * ETS can estimate (R's ets() refuses m > 24: 364 initial states from two or
 * three years of data), and MSTL's repeated loess fits cost more than the
 * models themselves. As in the M3 Theta method and in MSTL (Bandara,
 * Hyndman & Bergmeir 2021), the yearly pattern is a profile removed before
 * modelling, here estimated on weekly totals with a 52-week cycle (weekly
 * totals carry no weekly pattern and much less noise than single days), and
 * used only when a test finds it on at least two years. The
 * cycle is 364 days; the 1.25 days a year it drifts from the calendar are
 * small against a pattern estimated per week.
 */
import type { ItemForecast } from './forecast.js';
import { linearTrend, naiveScale, tQuantile } from './stats.js';

const WEEKS = 52;

export interface YearlyProfile {
  /** Index per week of the 52-week cycle (ratio, or weekly total difference when additive). */
  indices: Float64Array;
  multiplicative: boolean;
  /** Day of the series where week 0 of the cycle starts (weeks are aligned to the series' end). */
  offset: number;
}

/**
 * The yearly profile of a daily series, or null when it has none or too
 * little history.
 *
 * The test: the weekly totals less a fitted line, correlated with themselves
 * 52 weeks earlier, positive and significant at 95 % (one-sided t test on the
 * pairs). Bartlett's lag-m test used for monthly data misses smooth yearly
 * waves, whose own short-lag autocorrelations inflate its standard error.
 * The profile: each week of the cycle's mean ratio to (or difference from)
 * the line, over all years of history, normalised.
 */
export function yearlyProfile(y: Float64Array): YearlyProfile | null {
  const weeks = Math.floor(y.length / 7);
  if (weeks < 2 * WEEKS) return null;
  const offset = y.length - weeks * 7;
  const totals = new Float64Array(weeks);
  for (let k = 0; k < weeks; k++) {
    let s = 0;
    for (let d = 0; d < 7; d++) s += y[offset + 7 * k + d]!;
    totals[k] = s;
  }
  const [a, b] = linearTrend(totals);
  const trend = totals.map((_, k) => a + b * (k + 1));
  const detrended = totals.map((v, k) => v - trend[k]!);
  const pairs = weeks - WEEKS;
  let sx = 0;
  let sy = 0;
  for (let k = WEEKS; k < weeks; k++) {
    sx += detrended[k]!;
    sy += detrended[k - WEEKS]!;
  }
  sx /= pairs;
  sy /= pairs;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = WEEKS; k < weeks; k++) {
    const dx = detrended[k]! - sx;
    const dy = detrended[k - WEEKS]! - sy;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  const t = (r * Math.sqrt(pairs - 2)) / Math.sqrt(Math.max(1e-12, 1 - r * r));
  if (!(r > 0 && t > tCritical95(pairs - 2))) return null;
  const multiplicative = trend.every((v) => v > 0) && totals.every((v) => v >= 0);
  const sums = new Float64Array(WEEKS);
  const counts = new Float64Array(WEEKS);
  for (let k = 0; k < weeks; k++) {
    sums[k % WEEKS] = sums[k % WEEKS]! + (multiplicative ? totals[k]! / trend[k]! : detrended[k]!);
    counts[k % WEEKS] = counts[k % WEEKS]! + 1;
  }
  const indices = new Float64Array(WEEKS);
  let mean = 0;
  for (let w = 0; w < WEEKS; w++) {
    indices[w] = sums[w]! / counts[w]!;
    mean += indices[w]! / WEEKS;
  }
  for (let w = 0; w < WEEKS; w++) indices[w] = multiplicative ? Math.max(0.05, indices[w]! / mean) : indices[w]! - mean;
  return { indices, multiplicative, offset };
}

/** One-sided 95 % critical value of Student's t. */
function tCritical95(df: number): number {
  return tQuantile(0.95, Math.max(1, df));
}

/** The profile's value on day t: a factor (multiplicative) or a daily shift (additive). */
export function yearlyValue(p: YearlyProfile, t: number): number {
  const k = Math.floor((t - p.offset) / 7);
  const v = p.indices[((k % WEEKS) + WEEKS) % WEEKS]!;
  return p.multiplicative ? v : v / 7;
}

export function removeYearly(y: Float64Array, p: YearlyProfile): Float64Array {
  return y.map((v, t) => (p.multiplicative ? v / yearlyValue(p, t) : v - yearlyValue(p, t)));
}

/** Puts the yearly pattern back into a forecast made on the adjusted series y (length n). */
export function restoreYearly(f: ItemForecast, p: YearlyProfile, y: Float64Array, m: number, nonNegative: boolean): ItemForecast {
  const n = y.length;
  const apply = (v: number, t: number) => {
    const r = p.multiplicative ? v * yearlyValue(p, t) : v + yearlyValue(p, t);
    return nonNegative ? Math.max(0, r) : r;
  };
  const h = f.mean.length;
  const mean = f.mean.map((v, j) => apply(v, n + j));
  const intervals = f.intervals.map((iv) => ({ level: iv.level, lower: iv.lower.map((v, j) => apply(v, n + j)), upper: iv.upper.map((v, j) => apply(v, n + j)) }));
  let factor = 1;
  if (p.multiplicative) {
    factor = 0;
    for (let j = 0; j < h; j++) factor += yearlyValue(p, n + j) / h;
  }
  let backtest = f.backtest;
  if (backtest) {
    const { origins, steps } = backtest;
    const from = n - origins;
    const forecasts = backtest.forecasts.slice();
    const errors = backtest.errors.slice();
    let abs = 0;
    let count = 0;
    for (let o = 0; o < origins; o++)
      for (let j = 0; j < steps; j++) {
        const t = from + o + j;
        const i = o * steps + j;
        forecasts[i] = apply(forecasts[i]!, t);
        if (t < n && !Number.isNaN(errors[i]!)) {
          // Back in the data's units: y − f = F·(y' − f') multiplicatively, unchanged additively.
          errors[i] = p.multiplicative ? errors[i]! * yearlyValue(p, t) : errors[i]!;
          abs += Math.abs(errors[i]!);
          count++;
        }
      }
    const original = restoreSeries(y, p);
    const scale = naiveScale(original.subarray(0, from), m) || 1;
    backtest = { ...backtest, forecasts, errors, mase: count ? abs / count / scale : NaN };
  }
  return {
    ...f,
    model: `${f.model}+yearly`,
    mean,
    intervals,
    backtest,
    sigma: f.sigma.map((s) => s * factor),
    quantile: (q, step) => apply(f.quantile(q, step), n + Math.min(step, h - 1)),
  };
}

function restoreSeries(adjusted: Float64Array, p: YearlyProfile): Float64Array {
  return adjusted.map((v, t) => (p.multiplicative ? v * yearlyValue(p, t) : v + yearlyValue(p, t)));
}
