/**
 * Automatic ARIMA: the stepwise algorithm of Hyndman & Khandakar (2008),
 * "Automatic time series forecasting: the forecast package for R", Journal
 * of Statistical Software 27(3), as in R's forecast::auto.arima and
 * statsforecast's AutoARIMA (our own code, following the paper and the
 * behaviour of those implementations):
 *
 * - seasonal differences D ∈ {0, 1}: one when the seasonal strength of the
 *   series exceeds 0.64 (Wang, Smith & Hyndman 2006, the `seas` test of
 *   auto.arima; the strength here comes from a classical additive
 *   decomposition, not STL);
 * - differences d ∈ {0, 1, 2}: KPSS tests at 5 % (Kwiatkowski et al. 1992,
 *   lag truncation ⌊3√n / 13⌋) until the differenced series is level
 *   stationary;
 * - the orders (p, q, P, Q) and the constant (a mean when d + D = 0, a drift
 *   when d + D = 1) by a stepwise search from four starting models, moving
 *   one order by ±1 (or p and q together) while the AICc improves; models
 *   with an AR or MA root within 1.01 of the unit circle are rejected;
 * - estimation by conditional sum of squares, then exact Gaussian maximum
 *   likelihood from there ("CSS-ML"); on long or high-frequency series
 *   (n > 150 or m > 12) the search compares CSS fits and only the winner is
 *   fitted by maximum likelihood, as auto.arima's `approximation`.
 *
 * The exact likelihood runs a Kalman filter over the differenced series in
 * Akaike's Markovian representation (state: the forecasts w_{t+i|t}, i <
 * r = max(p', q' + 1)) whose initial covariance follows from the ARMA
 * autocovariances (Brockwell & Davis 2002, "Introduction to Time Series and
 * Forecasting", §3.3 and §8.3; Gardner, Harvey & Phillips 1980 for the filter).
 * AR and MA polynomials are kept stationary and invertible by optimising
 * their partial autocorrelations (tanh-transformed) and mapping them through
 * the Durbin–Levinson recursion (Jones 1980, Technometrics 22(3); Monahan
 * 1984, Biometrika 71(2)).
 */
import { nelderMead } from '../nelder-mead.js';
import { classicalSeasonalIndices } from '../stats.js';
import type { FittedModel, ModelSpec } from './model.js';

export interface ArimaOrder {
  p: number;
  d: number;
  q: number;
  P: number;
  D: number;
  Q: number;
  /** Seasonal period (1: none). */
  m: number;
  /** A mean (d + D = 0) or drift (d + D = 1). */
  constant: boolean;
}

export interface ArimaFit extends FittedModel {
  order: ArimaOrder;
  /** AR coefficients φ of the expanded polynomial (1 − Σ φ_i B^i) = φ(B)Φ(B^m). */
  phi: Float64Array;
  /** MA coefficients θ of (1 + Σ θ_j B^j) = θ(B)Θ(B^m). */
  theta: Float64Array;
  /** Mean of the differenced series. */
  mu: number;
  sigma2: number;
  /** Exact Gaussian log-likelihood of the differenced series (NaN for a CSS fit). */
  loglik: number;
  aicc: number;
}

const KPSS_CRITICAL_5 = 0.463;
const SEASONAL_STRENGTH = 0.64;
const MIN_ROOT = 1.01;
/** Series longer than this are searched and estimated by conditional sums of squares (auto.arima's n > 150). */
const LONG = 150;
const RAW_BOUND = 5; // tanh(5) = 0.9999: partial autocorrelations strictly inside (−1, 1)

export const arimaName = (o: ArimaOrder) => {
  const season = o.P + o.D + o.Q > 0 && o.m > 1 ? `(${o.P},${o.D},${o.Q})[${o.m}]` : '';
  const c = o.constant ? (o.d + o.D === 0 ? ' with mean' : ' with drift') : '';
  return `ARIMA(${o.p},${o.d},${o.q})${season}${c}`;
};

/** y differenced `d` times at lag 1 and `D` times at lag m. */
export function difference(y: Float64Array, d: number, D: number, m: number): Float64Array {
  let x = y;
  for (let k = 0; k < D; k++) {
    const nx = new Float64Array(Math.max(0, x.length - m));
    for (let t = 0; t < nx.length; t++) nx[t] = x[t + m]! - x[t]!;
    x = nx;
  }
  for (let k = 0; k < d; k++) {
    const nx = new Float64Array(Math.max(0, x.length - 1));
    for (let t = 0; t < nx.length; t++) nx[t] = x[t + 1]! - x[t]!;
    x = nx;
  }
  return x;
}

/** δ of (1 − B)^d (1 − B^m)^D = 1 − Σ δ_k B^k: y_t = w_t + Σ δ_k y_{t−k}. */
function differencingPolynomial(d: number, D: number, m: number): Float64Array {
  let c = [1];
  const mul = (f: number[]) => {
    const out = new Array<number>(c.length + f.length - 1).fill(0);
    for (let i = 0; i < c.length; i++) for (let j = 0; j < f.length; j++) out[i + j]! += c[i]! * f[j]!;
    c = out;
  };
  for (let k = 0; k < d; k++) mul([1, -1]);
  for (let k = 0; k < D; k++) {
    const f = new Array<number>(m + 1).fill(0);
    f[0] = 1;
    f[m] = -1;
    mul(f);
  }
  return Float64Array.from(c.slice(1), (v) => -v);
}

function isConstant(y: Float64Array): boolean {
  for (let t = 1; t < y.length; t++) if (y[t] !== y[0]) return false;
  return true;
}

/**
 * KPSS statistic for level stationarity (Kwiatkowski, Phillips, Schmidt &
 * Shin 1992): partial sums of the demeaned series against a Bartlett-window
 * long-run variance with ⌊3√n/13⌋ lags (the `short` truncation of R's urca
 * and of statsforecast).
 */
export function kpss(y: Float64Array): number {
  const n = y.length;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += y[t]! / n;
  const e = y.map((v) => v - mean);
  let s = 0;
  let eta = 0;
  let s0 = 0;
  for (let t = 0; t < n; t++) {
    s += e[t]!;
    eta += s * s;
    s0 += e[t]! * e[t]!;
  }
  const lags = Math.floor((3 * Math.sqrt(n)) / 13);
  let lrv = s0 / n;
  for (let l = 1; l <= lags; l++) {
    let c = 0;
    for (let t = l; t < n; t++) c += e[t]! * e[t - l]!;
    lrv += (2 * (1 - l / (lags + 1)) * c) / n;
  }
  return lrv > 0 ? eta / (n * n) / lrv : 0;
}

/** Differences needed by repeated KPSS tests at 5 % (at most `maxD`). */
export function ndiffs(y: Float64Array, maxD = 2): number {
  let x = y;
  let d = 0;
  if (isConstant(x)) return 0;
  while (d < maxD && x.length > 2 && kpss(x) > KPSS_CRITICAL_5) {
    d++;
    x = difference(x, 1, 0, 1);
    if (isConstant(x)) return d;
  }
  return d;
}

/**
 * Seasonal strength max(0, 1 − Var(R) / Var(S + R)) of a classical additive
 * decomposition (Wang, Smith & Hyndman 2006, DMKD 13(3)), over the periods
 * where the centred moving average is defined.
 */
export function seasonalStrength(y: Float64Array, m: number): number {
  const n = y.length;
  if (m < 2 || n < 2 * m + 1) return 0;
  const s = classicalSeasonalIndices(y, m, false);
  const half = Math.floor(m / 2);
  const even = m % 2 === 0;
  const rem: number[] = [];
  const sr: number[] = [];
  for (let t = half; t < n - half; t++) {
    let sum = 0;
    if (even) {
      sum = 0.5 * y[t - half]! + 0.5 * y[t + half]!;
      for (let k = -half + 1; k < half; k++) sum += y[t + k]!;
    } else for (let k = -half; k <= half; k++) sum += y[t + k]!;
    const r = y[t]! - sum / m - s[t % m]!;
    rem.push(r);
    sr.push(r + s[t % m]!);
  }
  const variance = (a: number[]) => {
    let mu = 0;
    for (const v of a) mu += v / a.length;
    let v2 = 0;
    for (const v of a) v2 += (v - mu) ** 2;
    return v2 / Math.max(1, a.length - 1);
  };
  const vsr = variance(sr);
  if (!(vsr > 0)) return 0;
  return Math.max(0, Math.min(1, 1 - variance(rem) / vsr));
}

/** Durbin–Levinson: partial autocorrelations κ (in place of raw tanh-transformed values) → AR coefficients. */
function pacfToAr(raw: Float64Array, from: number, k: number, out: Float64Array, work: Float64Array): void {
  for (let j = 0; j < k; j++) {
    const kappa = Math.tanh(raw[from + j]!);
    for (let i = 0; i < j; i++) work[i] = out[i]! - kappa * out[j - 1 - i]!;
    for (let i = 0; i < j; i++) out[i] = work[i]!;
    out[j] = kappa;
  }
}

/** Layout of the parameter vector and the expanded polynomials of one order. */
class ArmaModel {
  readonly pf: number;
  readonly qf: number;
  readonly r: number;
  readonly dim: number;
  readonly phi: Float64Array;
  readonly theta: Float64Array;
  private readonly ar: Float64Array;
  private readonly ma: Float64Array;
  private readonly sar: Float64Array;
  private readonly sma: Float64Array;
  private readonly work: Float64Array;
  // Kalman filter scratch.
  readonly psi: Float64Array;
  private readonly gamma: Float64Array;
  private readonly P: Float64Array;
  private readonly TP: Float64Array;
  private readonly a: Float64Array;
  private readonly row: Float64Array;
  private readonly sys: Float64Array;
  phiIdx: Int32Array;
  thetaIdx: Int32Array;

  constructor(readonly o: ArimaOrder) {
    const m = o.m;
    this.pf = o.p + m * o.P;
    this.qf = o.q + m * o.Q;
    this.r = Math.max(this.pf, this.qf + 1);
    this.dim = o.p + o.q + o.P + o.Q + (o.constant ? 1 : 0);
    this.phi = new Float64Array(this.pf);
    this.theta = new Float64Array(this.qf);
    this.ar = new Float64Array(o.p);
    this.ma = new Float64Array(o.q);
    this.sar = new Float64Array(o.P);
    this.sma = new Float64Array(o.Q);
    this.work = new Float64Array(Math.max(o.p, o.q, o.P, o.Q, 1));
    const r = this.r;
    this.psi = new Float64Array(r);
    this.gamma = new Float64Array(r + 1);
    this.P = new Float64Array(r * r);
    this.TP = new Float64Array(r * r);
    this.a = new Float64Array(r);
    this.row = new Float64Array(r);
    this.sys = new Float64Array((this.pf + 1) * (this.pf + 2));
    this.phiIdx = new Int32Array(0);
    this.thetaIdx = new Int32Array(0);
  }

  /** Sets φ, θ from the raw parameter vector; returns the mean. */
  set(x: Float64Array): number {
    const { o } = this;
    let k = 0;
    pacfToAr(x, k, o.p, this.ar, this.work);
    k += o.p;
    pacfToAr(x, k, o.q, this.ma, this.work);
    k += o.q;
    pacfToAr(x, k, o.P, this.sar, this.work);
    k += o.P;
    pacfToAr(x, k, o.Q, this.sma, this.work);
    k += o.Q;
    this.expand();
    return o.constant ? x[k]! : 0;
  }

  /** Sets the coefficients directly (R's signs: AR as 1 − Σ ar B^i, MA as 1 + Σ ma B^i). */
  setCoefficients(ar: ArrayLike<number>, ma: ArrayLike<number>, sar: ArrayLike<number>, sma: ArrayLike<number>): void {
    for (let i = 0; i < this.o.p; i++) this.ar[i] = ar[i]!;
    for (let i = 0; i < this.o.q; i++) this.ma[i] = -ma[i]!;
    for (let i = 0; i < this.o.P; i++) this.sar[i] = sar[i]!;
    for (let i = 0; i < this.o.Q; i++) this.sma[i] = -sma[i]!;
    this.expand();
  }

  private expand(): void {
    const { o } = this;
    // φ(B)Φ(B^m) = (1 − Σ ar_i B^i)(1 − Σ sar_j B^{jm}); θ(B)Θ(B^m) with MA = −(a stationary AR's coefficients).
    this.phi.fill(0);
    this.theta.fill(0);
    for (let i = 0; i < o.p; i++) this.phi[i] = this.ar[i]!;
    for (let j = 0; j < o.P; j++) {
      this.phi[(j + 1) * o.m - 1] = this.phi[(j + 1) * o.m - 1]! + this.sar[j]!;
      for (let i = 0; i < o.p; i++) this.phi[(j + 1) * o.m + i] = this.phi[(j + 1) * o.m + i]! - this.ar[i]! * this.sar[j]!;
    }
    for (let i = 0; i < o.q; i++) this.theta[i] = -this.ma[i]!;
    for (let j = 0; j < o.Q; j++) {
      this.theta[(j + 1) * o.m - 1] = this.theta[(j + 1) * o.m - 1]! - this.sma[j]!;
      for (let i = 0; i < o.q; i++) this.theta[(j + 1) * o.m + i] = this.theta[(j + 1) * o.m + i]! + this.ma[i]! * this.sma[j]!;
    }
    if (this.phiIdx.length === 0 && this.pf > 0) {
      const pi: number[] = [];
      for (let i = 0; i < this.pf; i++) if (i < o.p || (i + 1) % o.m === 0 || ((i + 1) % o.m <= o.p && i >= o.m)) pi.push(i);
      this.phiIdx = Int32Array.from(pi);
    }
    if (this.thetaIdx.length === 0 && this.qf > 0) {
      const ti: number[] = [];
      for (let i = 0; i < this.qf; i++) if (i < o.q || (i + 1) % o.m === 0 || ((i + 1) % o.m <= o.q && i >= o.m)) ti.push(i);
      this.thetaIdx = Int32Array.from(ti);
    }
  }

  /** Conditional sum of squares over w − μ from index pf on; returns [σ², count]. */
  css(w: Float64Array, mu: number, resid: Float64Array): number {
    const n = w.length;
    const { pf, phi, theta, phiIdx, thetaIdx } = this;
    let ssq = 0;
    let count = 0;
    for (let t = 0; t < n; t++) {
      if (t < pf) {
        resid[t] = 0;
        continue;
      }
      let e = w[t]! - mu;
      for (let k = 0; k < phiIdx.length; k++) {
        const i = phiIdx[k]!;
        e -= phi[i]! * (w[t - i - 1]! - mu);
      }
      for (let k = 0; k < thetaIdx.length; k++) {
        const j = thetaIdx[k]!;
        if (t - j - 1 >= 0) e -= theta[j]! * resid[t - j - 1]!;
      }
      resid[t] = e;
      ssq += e * e;
      count++;
    }
    return count > 0 ? ssq / count : NaN;
  }

  /** ψ weights 0..r−1 and the initial state covariance (σ² = 1). False when it cannot be computed. */
  private init(): boolean {
    const { pf, qf, r, phi, theta, psi, gamma, P } = this;
    psi[0] = 1;
    for (let j = 1; j < r; j++) {
      let v = j <= qf ? theta[j - 1]! : 0;
      for (let i = 1; i <= Math.min(j, pf); i++) v += phi[i - 1]! * psi[j - i]!;
      psi[j] = v;
    }
    // c_k = Σ_{j=k}^{q} θ_j ψ_{j−k} (θ_0 = 1); γ(k) − Σ φ_i γ(|k − i|) = c_k for k = 0..pf (Brockwell & Davis §3.3).
    const c = (k: number) => {
      let s = 0;
      for (let j = k; j <= qf; j++) s += (j === 0 ? 1 : theta[j - 1]!) * psi[j - k]!;
      return s;
    };
    if (pf === 0) {
      for (let k = 0; k <= r; k++) gamma[k] = k <= qf ? c(k) : 0;
    } else {
      const s = pf + 1;
      const A = this.sys;
      A.fill(0);
      for (let k = 0; k <= pf; k++) {
        A[k * (s + 1) + k] = A[k * (s + 1) + k]! + 1;
        for (let i = 1; i <= pf; i++) {
          const l = Math.abs(k - i);
          A[k * (s + 1) + l] = A[k * (s + 1) + l]! - phi[i - 1]!;
        }
        A[k * (s + 1) + s] = k <= qf ? c(k) : 0;
      }
      if (!solve(A, s)) return false;
      for (let k = 0; k <= Math.min(pf, r); k++) gamma[k] = A[k * (s + 1) + s]!;
      for (let k = pf + 1; k <= r; k++) {
        let v = k <= qf ? c(k) : 0;
        for (let i = 1; i <= pf; i++) v += phi[i - 1]! * gamma[k - i]!;
        gamma[k] = v;
      }
      if (!(gamma[0]! > 0)) return false;
    }
    // P0[i][k] = γ(|i − k|) − Σ_{j < min(i, k)} ψ_j ψ_{j + |i − k|}.
    for (let i = 0; i < r; i++)
      for (let k = i; k < r; k++) {
        const lag = k - i;
        let v = gamma[lag]!;
        for (let j = 0; j < i; j++) v -= psi[j]! * psi[j + lag]!;
        P[i * r + k] = v;
        P[k * r + i] = v;
      }
    return true;
  }

  /**
   * Exact Gaussian likelihood of w − μ by the Kalman filter; returns
   * [Σ v²/F, Σ log F, n] in `out`, or false when the state covariance is not
   * computable. When `origins` is given, also writes from every origin t in
   * [from, n] (index into w) the h-step forecasts of w (without μ).
   */
  filter(w: Float64Array, mu: number, out: Float64Array, fc?: { from: number; h: number; out: Float64Array; to: number }): boolean {
    const { r, phi, psi, P, TP, a, row, phiIdx } = this;
    if (!this.init()) return false;
    a.fill(0);
    const n = w.length;
    let ssq = 0;
    let sumlog = 0;
    let steady = false;
    const last = fc ? Math.min(fc.to, n + 1) : n;
    for (let t = 0; t < last; t++) {
      if (fc && t >= fc.from) this.forecastState(fc.out, (t - fc.from) * fc.h, fc.h);
      if (t >= n) break;
      const v = w[t]! - mu - a[0]!;
      if (steady) {
        ssq += v * v;
        for (let i = 0; i < r; i++) a[i] = a[i]! + psi[i]! * v;
      } else {
        const F = P[0]!;
        if (!(F > 0)) return false;
        ssq += (v * v) / F;
        sumlog += Math.log(F);
        for (let i = 0; i < r; i++) {
          row[i] = P[i]!;
          a[i] = a[i]! + (P[i * r]! / F) * v;
        }
        for (let i = 0; i < r; i++) {
          const pi0 = row[i]! / F;
          for (let k = 0; k < r; k++) P[i * r + k] = P[i * r + k]! - pi0 * row[k]!;
        }
        if (F - 1 < 1e-9 && t > 0) steady = true;
      }
      // Predict: a ← T a (shift up, last = Σ φ_j a[r − j]).
      let lastA = 0;
      for (let k = 0; k < phiIdx.length; k++) {
        const j = phiIdx[k]! + 1;
        lastA += phi[j - 1]! * a[r - j]!;
      }
      for (let i = 0; i < r - 1; i++) a[i] = a[i + 1]!;
      a[r - 1] = lastA;
      if (!steady) {
        // P ← T P T' + ψψ'.
        for (let i = 0; i < r; i++) {
          if (i < r - 1) for (let k = 0; k < r; k++) TP[i * r + k] = P[(i + 1) * r + k]!;
          else
            for (let k = 0; k < r; k++) {
              let s = 0;
              for (let q = 0; q < phiIdx.length; q++) {
                const j = phiIdx[q]! + 1;
                s += phi[j - 1]! * P[(r - j) * r + k]!;
              }
              TP[i * r + k] = s;
            }
        }
        for (let i = 0; i < r; i++) {
          for (let k = 0; k < r - 1; k++) P[i * r + k] = TP[i * r + k + 1]!;
          let s = 0;
          for (let q = 0; q < phiIdx.length; q++) {
            const j = phiIdx[q]! + 1;
            s += phi[j - 1]! * TP[i * r + r - j]!;
          }
          P[i * r + r - 1] = s;
        }
        for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) P[i * r + k] = P[i * r + k]! + psi[i]! * psi[k]!;
      }
    }
    out[0] = ssq;
    out[1] = sumlog;
    out[2] = n;
    return true;
  }

  /** h forecasts of w − μ from the current predicted state a. */
  private forecastState(out: Float64Array, offset: number, h: number): void {
    const { r, phi, a, phiIdx } = this;
    for (let j = 0; j < h; j++) {
      let v: number;
      if (j < r) v = a[j]!;
      else {
        v = 0;
        for (let k = 0; k < phiIdx.length; k++) {
          const i = phiIdx[k]! + 1;
          v += phi[i - 1]! * out[offset + j - i]!;
        }
      }
      out[offset + j] = v;
    }
  }
}

/** Gaussian elimination with partial pivoting on the s × (s + 1) augmented matrix; the solution in the last column. */
function solve(A: Float64Array, s: number): boolean {
  const w = s + 1;
  for (let col = 0; col < s; col++) {
    let piv = col;
    for (let i = col + 1; i < s; i++) if (Math.abs(A[i * w + col]!) > Math.abs(A[piv * w + col]!)) piv = i;
    if (Math.abs(A[piv * w + col]!) < 1e-12) return false;
    if (piv !== col)
      for (let k = 0; k < w; k++) {
        const t = A[col * w + k]!;
        A[col * w + k] = A[piv * w + k]!;
        A[piv * w + k] = t;
      }
    const d = A[col * w + col]!;
    for (let i = 0; i < s; i++) {
      if (i === col) continue;
      const f = A[i * w + col]! / d;
      if (f === 0) continue;
      for (let k = col; k < w; k++) A[i * w + k] = A[i * w + k]! - f * A[col * w + k]!;
    }
  }
  for (let i = 0; i < s; i++) A[i * w + s] = A[i * w + s]! / A[i * w + i]!;
  return true;
}

/**
 * All roots of 1 − Σ c_i z^i outside the circle of radius `radius`:
 * the step-down (reverse Durbin–Levinson) recursion on c_i·radius^i, all
 * partial autocorrelations inside (−1, 1) (the Schur–Cohn criterion).
 */
export function rootsOutside(c: Float64Array, radius = MIN_ROOT): boolean {
  let k = c.length;
  while (k > 0 && Math.abs(c[k - 1]!) < 1e-12) k--;
  if (k === 0) return true;
  let a = Array.from(c.subarray(0, k), (v, i) => v * Math.pow(radius, i + 1));
  for (let j = k; j >= 1; j--) {
    const kappa = a[j - 1]!;
    if (!(Math.abs(kappa) < 1)) return false;
    const next: number[] = [];
    const den = 1 - kappa * kappa;
    for (let i = 0; i < j - 1; i++) next.push((a[i]! + kappa * a[j - 2 - i]!) / den);
    a = next;
  }
  return true;
}

interface Estimate {
  x: Float64Array;
  /** AICc from the exact likelihood (or the CSS approximation). */
  aicc: number;
  sigma2: number;
  loglik: number;
}

/**
 * The exact Gaussian log-likelihood of the differenced y under given
 * coefficients (R's and statsforecast's signs) and mean of the differenced
 * series: for comparing with reference implementations.
 */
export function arimaLoglik(y: Float64Array, o: ArimaOrder, c: { ar?: number[]; ma?: number[]; sar?: number[]; sma?: number[]; mu?: number }): number {
  const model = new ArmaModel(o);
  model.setCoefficients(c.ar ?? [], c.ma ?? [], c.sar ?? [], c.sma ?? []);
  const w = difference(y, o.d, o.D, o.m);
  const res = new Float64Array(3);
  if (!model.filter(w, c.mu ?? 0, res)) return NaN;
  const n = w.length;
  return -0.5 * (n * Math.log(res[0]! / n) + res[1]! + n + n * Math.log(2 * Math.PI));
}

/** Fits one order to the differenced series w by CSS, then (unless `cssOnly`) exact ML. */
function estimate(w: Float64Array, o: ArimaOrder, cssOnly: boolean, start?: Float64Array): { model: ArmaModel; est: Estimate } | null {
  const model = new ArmaModel(o);
  const n = w.length;
  const dim = model.dim;
  const npar = dim + 1;
  if (n - model.pf < Math.max(3, npar)) return null;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += w[t]! / n;
  let sd = 0;
  for (let t = 0; t < n; t++) sd += (w[t]! - mean) ** 2;
  sd = Math.sqrt(sd / Math.max(1, n - 1)) || Math.abs(mean) || 1;
  const lower = new Float64Array(dim).fill(-RAW_BOUND);
  const upper = new Float64Array(dim).fill(RAW_BOUND);
  const step = new Float64Array(dim).fill(0.3);
  const x0 = start ? start.slice() : new Float64Array(dim);
  if (o.constant) {
    lower[dim - 1] = mean - 10 * sd;
    upper[dim - 1] = mean + 10 * sd;
    step[dim - 1] = sd / Math.sqrt(n);
    if (!start) x0[dim - 1] = mean;
  }
  const resid = new Float64Array(n);
  const cssObj = (x: Float64Array) => {
    const mu = model.set(x);
    const s2 = model.css(w, mu, resid);
    return s2 > 0 ? 0.5 * Math.log(s2) : s2 === 0 ? -1e10 : Infinity;
  };
  let x: Float64Array = x0;
  if (dim > 0) {
    const r = nelderMead(cssObj, x0, { lower, upper, step, maxEvaluations: 150 + 60 * dim, tolerance: 1e-8 });
    x = r.x;
  }
  const nstar = n;
  const aiccOf = (m2loglik: number) => {
    const aic = m2loglik + 2 * npar;
    return nstar - npar - 1 > 0 ? aic + (2 * npar * (npar + 1)) / (nstar - npar - 1) : Infinity;
  };
  if (cssOnly) {
    const mu = model.set(x);
    const s2 = model.css(w, mu, resid);
    if (!(s2 >= 0)) return null;
    // auto.arima's approximation: n·log σ² + 2·npar (a constant offset dropped: it is the same for every order).
    return { model, est: { x, aicc: aiccOf(nstar * Math.log(Math.max(s2, 1e-300))), sigma2: s2, loglik: NaN } };
  }
  const res = new Float64Array(3);
  const mlObj = (xx: Float64Array) => {
    const mu = model.set(xx);
    if (!model.filter(w, mu, res)) return Infinity;
    const s2 = res[0]! / res[2]!;
    return s2 > 0 ? 0.5 * (Math.log(s2) + res[1]! / res[2]!) : -1e10;
  };
  if (dim > 0) {
    // From the CSS estimate, and once more from a fresh simplex there; from the origin (white noise around the
    // mean) too when the order has both AR and MA terms, whose likelihood often has a second mode.
    const opts = { lower, upper, step: step.map((v) => v / 2), maxEvaluations: 150 + 80 * dim, tolerance: 1e-10 };
    let r1 = nelderMead(mlObj, x, opts);
    if (dim > 1) {
      const r2 = nelderMead(mlObj, r1.x, opts);
      if (r2.value <= r1.value) r1 = r2;
    }
    if (o.p + o.P > 0 && o.q + o.Q > 0) {
      const origin = new Float64Array(dim);
      if (o.constant) origin[dim - 1] = mean;
      const r3 = nelderMead(mlObj, origin, { ...opts, step });
      if (r3.value < r1.value) r1 = r3;
    }
    x = r1.x;
  }
  const value = mlObj(x);
  if (!Number.isFinite(value)) return null;
  model.set(x);
  const s2 = res[0]! / res[2]!;
  const m2loglik = 2 * n * value + n + n * Math.log(2 * Math.PI);
  return { model, est: { x, aicc: aiccOf(m2loglik), sigma2: s2, loglik: -m2loglik / 2 } };
}

function admissible(model: ArmaModel): boolean {
  return rootsOutside(model.phi) && rootsOutside(model.theta.map((v) => -v));
}

/** The fitted model: forecasts and the fixed-parameter rolling replay. */
function arimaModel(y: Float64Array, o: ArimaOrder, model: ArmaModel, x: Float64Array, sigma2: number, aicc: number, loglik: number): ArimaFit {
  const nd = o.d + o.D * o.m;
  const delta = differencingPolynomial(o.d, o.D, o.m);
  const mu = model.set(x);
  const phi = model.phi.slice();
  const theta = model.theta.slice();
  const res = new Float64Array(3);
  /** Forecasts of y from origins t ∈ [from, to) (t ≥ nd): undifferenced with the actual history before t. */
  const run = (series: Float64Array, from: number, to: number, h: number, out: Float64Array) => {
    const w = difference(series, o.d, o.D, o.m);
    const first = Math.max(from, nd);
    const wf = new Float64Array(Math.max(0, to - first) * h);
    model.set(x);
    model.filter(w, mu, res, { from: first - nd, to: to - nd, h, out: wf });
    const buf = new Float64Array(nd + h);
    for (let t = from; t < to; t++) {
      const o2 = (t - from) * h;
      if (t < nd || t < 1) {
        out.fill(t > 0 ? series[t - 1]! : series[0]!, o2, o2 + h);
        continue;
      }
      for (let k = 0; k < nd; k++) buf[k] = series[t - nd + k]!;
      const wo = (t - first) * h;
      for (let j = 0; j < h; j++) {
        let v = wf[wo + j]! + mu;
        for (let k = 0; k < delta.length; k++) if (delta[k] !== 0) v += delta[k]! * buf[nd + j - k - 1]!;
        buf[nd + j] = v;
        out[o2 + j] = v;
      }
    }
  };
  return {
    name: arimaName(o),
    order: o,
    phi,
    theta,
    mu,
    sigma2,
    loglik,
    aicc,
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

/**
 * Fits one given order to y; null when it cannot be estimated or (unless
 * `checkRoots` is false) has a root within 1.01 of the unit circle.
 */
export function fitArima(y: Float64Array, o: ArimaOrder, cssOnly = false, checkRoots = true): ArimaFit | null {
  const w = difference(y, o.d, o.D, o.m);
  const e = estimate(w, o, cssOnly);
  if (!e || !Number.isFinite(e.est.aicc) || (checkRoots && !admissible(e.model))) return null;
  return arimaModel(y, o, e.model, e.est.x, e.est.sigma2, e.est.aicc, e.est.loglik);
}

const key = (o: ArimaOrder) => `${o.p},${o.q},${o.P},${o.Q},${o.constant ? 1 : 0}`;

/** Hyndman & Khandakar's stepwise auto.arima. */
export function autoArima(y: Float64Array, period: number): ArimaFit | null {
  const n = y.length;
  if (n < 4) return null;
  if (isConstant(y)) return fitArima(y, { p: 0, d: 0, q: 0, P: 0, D: 0, Q: 0, m: 1, constant: true });
  const m = period > 1 ? Math.round(period) : 1;
  let D = 0;
  if (m > 1 && n > 2 * m && seasonalStrength(y, m) > SEASONAL_STRENGTH) D = 1;
  const dx = difference(y, 0, D, m);
  let d = ndiffs(dx);
  if (D + d > 0 && difference(dx, d, 0, 1).length === 0) d = 0;
  const w0 = difference(dx, d, 0, 1);
  if (w0.length < 3) return null;
  const approximation = n > LONG || m > 1;
  let maxP = Math.min(5, Math.floor(n / 3));
  let maxQ = Math.min(5, Math.floor(n / 3));
  const maxSP = m > 1 ? Math.min(2, Math.floor(n / 3 / m)) : 0;
  const maxSQ = maxSP;
  if (m > 1) {
    maxP = Math.min(maxP, m - 1);
    maxQ = Math.min(maxQ, m - 1);
  }
  const allowConstant = d + D <= 1;
  if (isConstant(w0)) {
    return fitArima(y, { p: 0, d, q: 0, P: 0, D, Q: 0, m, constant: allowConstant && w0[0] !== 0 });
  }
  const tried = new Map<string, { o: ArimaOrder; aicc: number; fit: ArimaFit | null }>();
  const tryOrder = (o: ArimaOrder) => {
    const k = key(o);
    const seen = tried.get(k);
    if (seen) return seen;
    const fit = fitArima(y, o, approximation);
    const rec = { o, aicc: fit ? fit.aicc : Infinity, fit };
    tried.set(k, rec);
    return rec;
  };
  let startP = n < 10 ? 1 : 2;
  let startQ = n < 10 ? 1 : 2;
  let startSP = n < 10 ? 0 : 1;
  let startSQ = n < 10 ? 0 : 1;
  startP = Math.min(startP, maxP);
  startQ = Math.min(startQ, maxQ);
  startSP = Math.min(startSP, maxSP);
  startSQ = Math.min(startSQ, maxSQ);
  const base = { d, D, m };
  let best = tryOrder({ ...base, p: startP, q: startQ, P: startSP, Q: startSQ, constant: allowConstant });
  const consider = (o: ArimaOrder) => {
    if (o.p < 0 || o.q < 0 || o.P < 0 || o.Q < 0 || o.p > maxP || o.q > maxQ || o.P > maxSP || o.Q > maxSQ) return false;
    if (tried.has(key(o))) return false;
    const r = tryOrder(o);
    if (r.aicc < best.aicc) {
      best = r;
      return true;
    }
    return false;
  };
  consider({ ...base, p: 0, q: 0, P: 0, Q: 0, constant: allowConstant });
  if (maxP > 0 || maxSP > 0) consider({ ...base, p: maxP > 0 ? 1 : 0, q: 0, P: m > 1 && maxSP > 0 ? 1 : 0, Q: 0, constant: allowConstant });
  if (maxQ > 0 || maxSQ > 0) consider({ ...base, p: 0, q: maxQ > 0 ? 1 : 0, P: 0, Q: m > 1 && maxSQ > 0 ? 1 : 0, constant: allowConstant });
  if (allowConstant) consider({ ...base, p: 0, q: 0, P: 0, Q: 0, constant: false });
  // Stepwise neighbours of the best, in auto.arima's order, until none improves (at most 94 models).
  for (let guard = 0; guard < 94 && tried.size < 94; guard++) {
    const b = best.o;
    const moves: Partial<ArimaOrder>[] = [
      { P: b.P - 1 },
      { Q: b.Q - 1 },
      { P: b.P + 1 },
      { Q: b.Q + 1 },
      { P: b.P - 1, Q: b.Q - 1 },
      { P: b.P - 1, Q: b.Q + 1 },
      { P: b.P + 1, Q: b.Q - 1 },
      { P: b.P + 1, Q: b.Q + 1 },
      { p: b.p - 1 },
      { q: b.q - 1 },
      { p: b.p + 1 },
      { q: b.q + 1 },
      { p: b.p - 1, q: b.q - 1 },
      { p: b.p - 1, q: b.q + 1 },
      { p: b.p + 1, q: b.q - 1 },
      { p: b.p + 1, q: b.q + 1 },
    ];
    if (allowConstant) moves.push({ constant: !b.constant });
    let improved = false;
    for (const mv of moves) {
      if (consider({ ...b, ...mv })) {
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  if (!approximation) return best.fit;
  // The search compared CSS fits. On long series the CSS estimate stands: it drops only the first p + mP of many
  // terms of the likelihood, and CSS and exact ML estimates are asymptotically equivalent (Box, Jenkins & Reinsel
  // 2008, §7.1), while the exact likelihood of a weekly seasonal order costs a Kalman filter of 15–20 states.
  const ordered = [...tried.values()].filter((r) => r.fit).sort((a, b) => a.aicc - b.aicc);
  if (n > LONG) return ordered[0]?.fit ?? null;
  // Shorter seasonal series: fit the best two orders by maximum likelihood (from their CSS estimates), the first
  // admissible wins; when the likelihood drives both to a unit root, the best CSS fit stands.
  for (const r of ordered.slice(0, 2)) {
    const fit = fitArima(y, r.o, false);
    if (fit) return fit;
  }
  return ordered[0]?.fit ?? null;
}

/**
 * Keeps the order chosen on the shorter history and estimates it again, by
 * conditional sums of squares on long series as the search does there.
 */
function refitArima(y: Float64Array, m: number, earlier: FittedModel): FittedModel | null {
  const e = earlier as ArimaFit;
  return fitArima(y, e.order, y.length > LONG) ?? autoArima(y, m);
}

export const arima: ModelSpec = { name: 'arima', fit: (y, m) => autoArima(y, m), refit: refitArima };
