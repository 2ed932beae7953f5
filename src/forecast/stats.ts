/**
 * Small numeric helpers shared by the models: means, quantiles, a linear
 * trend, the seasonality test and classical decomposition. Pure functions
 * over typed arrays.
 */
/**
 * Standard normal quantile: Wichura (1988), "Algorithm AS 241: the
 * percentage points of the normal distribution", Applied Statistics 37(3),
 * PPND16 (relative accuracy about 1e-16, as R's qnorm, which uses it too).
 * The coefficients are written as published (more digits than a double
 * holds), so that they can be checked against the paper.
 */
/* eslint-disable no-loss-of-precision -- AS 241's coefficients verbatim */
export function zQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let z: number;
  if (r <= 5) {
    r -= 1.6;
    z =
      (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    z =
      (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return q < 0 ? -z : z;
}
/* eslint-enable no-loss-of-precision */

/**
 * Student's t distribution function for a whole number of degrees of
 * freedom, exact: the finite series in θ = atan(t/√ν) of Abramowitz &
 * Stegun (1964), 26.7.3 (odd ν) and 26.7.4 (even ν).
 */
export function tCdf(t: number, df: number): number {
  const theta = Math.atan(t / Math.sqrt(df));
  const s = Math.sin(theta);
  const c2 = Math.cos(theta) ** 2;
  let a: number;
  if (df % 2 === 1) {
    let term = 1;
    let sum = df > 1 ? 1 : 0;
    for (let k = 3; k <= df - 2; k += 2) {
      term *= (c2 * (k - 1)) / k;
      sum += term;
    }
    a = (2 / Math.PI) * (theta + (df > 1 ? s * Math.cos(theta) * sum : 0));
  } else {
    let term = 1;
    let sum = 1;
    for (let k = 2; k <= df - 2; k += 2) {
      term *= (c2 * (k - 1)) / k;
      sum += term;
    }
    a = s * sum;
  }
  // a = P(|T| < |t|) with the sign of t.
  return 0.5 + a / 2;
}

/**
 * Student's t quantile with `df` whole degrees of freedom (rounded down; at
 * least 1): Hill (1970), "Algorithm 396: Student's t-quantiles", CACM
 * 13(10), as a start, polished by Newton steps on the exact distribution
 * function above (to about 1e-12).
 */
export function tQuantile(p: number, dfIn: number): number {
  const df = Math.max(1, Math.floor(dfIn));
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  if (p === 0.5) return 0;
  const upper = p > 0.5;
  const p2 = 2 * (upper ? 1 - p : p); // two-sided tail probability
  let t: number;
  if (df === 1) t = Math.cos((p2 * Math.PI) / 2) / Math.sin((p2 * Math.PI) / 2);
  else if (df === 2) t = Math.sqrt(2 / (p2 * (2 - p2)) - 2);
  else {
    // Hill's algorithm 396.
    const a = 1 / (df - 0.5);
    const b = 48 / (a * a);
    let c = ((((20700 * a) / b - 98) * a - 16) * a + 96.36) / b;
    const d = ((94.5 / (b + c) - 3) / b + 1) * Math.sqrt((a * Math.PI) / 2) * df;
    let x = d * p2;
    let y = Math.pow(x, 2 / df);
    if (y > 0.05 + a) {
      x = zQuantile(p2 / 2);
      y = x * x;
      if (df < 5) c += 0.3 * (df - 4.5) * (x + 0.6);
      c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c;
      y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x;
      y = a * y * y;
      y = y > 0.002 ? Math.exp(y) - 1 : 0.5 * y * y + y;
    } else {
      y = ((1 / (((df + 6) / (df * y) - 0.089 * d - 0.822) * (df + 2) * 3) + 0.5 / (df + 4)) * y - 1) * (df + 1) / (df + 2) + 1 / y;
    }
    t = Math.sqrt(df * y);
  }
  // Newton on the exact CDF (density (1 + t²/ν)^{−(ν+1)/2} / (√ν B(ν/2, 1/2))).
  const target = upper ? p : 1 - p;
  const logNorm = lgammaHalf(df + 1) - lgammaHalf(df) - 0.5 * Math.log(df * Math.PI);
  for (let i = 0; i < 8; i++) {
    const f = tCdf(t, df) - target;
    const dens = Math.exp(logNorm - ((df + 1) / 2) * Math.log1p((t * t) / df));
    const step = f / dens;
    t -= step;
    if (Math.abs(step) <= 1e-13 * Math.max(1, Math.abs(t))) break;
  }
  return upper ? t : -t;
}

/** log Γ(k/2) for a whole k ≥ 1 (exact products of halves). */
function lgammaHalf(k: number): number {
  // Γ(1/2) = √π, Γ(1) = 1, Γ(x + 1) = x Γ(x).
  let v = k % 2 === 0 ? 0 : 0.5 * Math.log(Math.PI);
  for (let x = k % 2 === 0 ? 1 : 0.5; x < k / 2; x += 1) v += Math.log(x);
  return v;
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
