/**
 * Small numeric helpers shared by the models: means, quantiles, a linear
 * trend, the seasonality test and classical decomposition. Pure functions
 * over typed arrays.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import studentQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Standard normal quantile (stdlib's, accurate to double precision). */
export function zQuantile(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** Student's t quantile with `df` degrees of freedom. */
export function tQuantile(p: number, df: number): number {
  return studentQuantile(p, df);
}

export function mean(y: ArrayLike<number>, from = 0, to = y.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += y[i]!;
  return to > from ? s / (to - from) : NaN;
}

/**
 * Quantile of a sample, R's type 7 (linear interpolation between order
 * statistics, Hyndman & Fan 1996). Sorts `sorted` in place when `isSorted` is false.
 */
export function quantile(sample: Float64Array, p: number, isSorted = false): number {
  const n = sample.length;
  if (n === 0) return NaN;
  if (!isSorted) sample.sort();
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sample[lo]! + (h - lo) * (sample[hi]! - sample[lo]!);
}

/** Least-squares line y ≈ a + b·t with t = 1..n (or t = `t0`..): returns [a, b]. */
export function linearTrend(y: ArrayLike<number>, n = y.length, t0 = 1): [number, number] {
  if (n < 2) return [n === 1 ? y[0]! : 0, 0];
  const tm = t0 + (n - 1) / 2;
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i]!;
  ym /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dt = t0 + i - tm;
    sxy += dt * (y[i]! - ym);
    sxx += dt * dt;
  }
  const b = sxy / sxx;
  return [ym - b * tm, b];
}

/** Sample autocorrelation at lags 1..maxLag (index 0 is lag 1), as R's acf(). */
export function acf(y: ArrayLike<number>, maxLag: number): Float64Array {
  const n = y.length;
  const m = mean(y);
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += (y[i]! - m) ** 2;
  const r = new Float64Array(maxLag);
  if (c0 === 0) return r;
  for (let k = 1; k <= maxLag; k++) {
    let ck = 0;
    for (let i = k; i < n; i++) ck += (y[i]! - m) * (y[i - k]! - m);
    r[k - 1] = ck / c0;
  }
  return r;
}

/**
 * The seasonality test of the M3 Theta method and R's forecast::thetaf
 * (Assimakopoulos & Nikolopoulos 2000; Hyndman & Billah 2003): the lag-m
 * autocorrelation against its standard error under Bartlett's formula,
 * significant at 90 % (two-sided) by default, on at least `minSeasons` full seasons.
 */
export function isSeasonal(y: ArrayLike<number>, m: number, z = 1.6448536269514722, minSeasons = 3): boolean {
  const n = y.length;
  if (m < 2 || n < minSeasons * m) return false;
  const r = acf(y, m);
  let s = 0;
  for (let i = 0; i < m - 1; i++) s += r[i]! ** 2;
  const stat = Math.abs(r[m - 1]!) / Math.sqrt((1 + 2 * s) / n);
  return stat > z;
}

/**
 * Seasonal indices of classical decomposition (R's decompose()): a centred
 * moving average of order m (2×m for even m) as the trend, the detrended
 * values averaged per season, normalised to mean 1 (multiplicative) or 0
 * (additive). Index i belongs to time points t with t mod m = i (t from 0).
 */
export function classicalSeasonalIndices(y: ArrayLike<number>, m: number, multiplicative: boolean): Float64Array {
  const n = y.length;
  const sums = new Float64Array(m);
  const counts = new Float64Array(m);
  const half = Math.floor(m / 2);
  const even = m % 2 === 0;
  for (let t = half; t < n - half; t++) {
    let s = 0;
    if (even) {
      s = 0.5 * y[t - half]! + 0.5 * y[t + half]!;
      for (let k = -half + 1; k < half; k++) s += y[t + k]!;
    } else {
      for (let k = -half; k <= half; k++) s += y[t + k]!;
    }
    const trend = s / m;
    const d = multiplicative ? y[t]! / trend : y[t]! - trend;
    if (!Number.isFinite(d)) continue;
    sums[t % m] = sums[t % m]! + d;
    counts[t % m]! += 1;
  }
  const idx = new Float64Array(m);
  let total = 0;
  for (let i = 0; i < m; i++) {
    idx[i] = counts[i]! > 0 ? sums[i]! / counts[i]! : multiplicative ? 1 : 0;
    total += idx[i]!;
  }
  const avg = total / m;
  for (let i = 0; i < m; i++) idx[i] = multiplicative ? idx[i]! / avg : idx[i]! - avg;
  return idx;
}

/** Mean absolute error of the in-sample seasonal naive forecast (the MASE scale, Hyndman & Koehler 2006). */
export function naiveScale(y: ArrayLike<number>, m: number, n = y.length): number {
  const lag = n > m ? m : 1;
  let s = 0;
  let c = 0;
  for (let t = lag; t < n; t++) {
    const d = y[t]! - y[t - lag]!;
    if (Number.isFinite(d)) {
      s += Math.abs(d);
      c++;
    }
  }
  return c > 0 ? s / c : NaN;
}
