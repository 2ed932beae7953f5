import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { arimaLoglik, autoArima, difference, fitArima, kpss, ndiffs, rootsOutside } from './arima.js';
import { maxRelativeError } from './golden.js';

interface ArimaGolden {
  source: string;
  series: {
    id: string;
    m: number;
    h: number;
    y: number[];
    kpss: number;
    ndiffs: number;
    fits: { order: [number, number, number]; seasonal: [number, number, number]; constant: boolean; loglik: number; aic: number; sigma2: number; coef: Record<string, number>; mean: number[] }[];
    /** statsforecast's arma: p, q, P, Q, m, d, D. */
    auto: { arma: number[]; mean: number[] };
  }[];
}
const golden = JSON.parse(readFileSync(new URL('../../../test/fixtures/forecast/arima-golden.json', import.meta.url), 'utf8')) as ArimaGolden;

describe(`ARIMA against ${golden.source} (M3 series)`, () => {
  for (const s of golden.series) {
    const y = Float64Array.from(s.y);
    describe(s.id, () => {
      it('the same KPSS statistic and number of differences', () => {
        expect(kpss(y)).toBeCloseTo(s.kpss, 9);
        expect(ndiffs(y)).toBe(s.ndiffs);
      });
      for (const ref of s.fits) {
        const [p, d, q] = ref.order;
        const [P, D, Q] = ref.seasonal;
        const label = `(${p},${d},${q})(${P},${D},${Q})[${s.m}]${ref.constant ? ' with constant' : ''}`;
        it(`${label}: the same exact likelihood at statsforecast's coefficients`, () => {
          const c = ref.coef;
          const pick = (re: RegExp) => Object.keys(c).filter((k) => re.test(k)).map((k) => c[k]!);
          // statsforecast's drift is per period of the undifferenced series; our constant is the differenced series' mean.
          const mu = c.intercept ?? (c.drift !== undefined ? c.drift * (D ? s.m : 1) : 0);
          const ll = arimaLoglik(y, { p, d, q, P, D, Q, m: s.m, constant: ref.constant }, { ar: pick(/^ar\d/), ma: pick(/^ma\d/), sar: pick(/^sar\d/), sma: pick(/^sma\d/), mu });
          expect(ll).toBeCloseTo(ref.loglik, 6);
        });
        it(`${label}: exact maximum likelihood reaches statsforecast's optimum or a better one`, () => {
          // statsforecast's Arima() keeps roots near the unit circle (only its search rejects them): so do we here.
          const fit = fitArima(y, { p, d, q, P, D, Q, m: s.m, constant: ref.constant }, false, false);
          expect(fit).not.toBeNull();
          // Both are the exact likelihood of the differenced series; ours may find a higher optimum, never a clearly lower one.
          expect(fit!.loglik).toBeGreaterThanOrEqual(ref.loglik - 0.02);
          // At the same optimum the forecasts agree.
          if (Math.abs(fit!.loglik - ref.loglik) < 0.05) expect(maxRelativeError(fit!.forecast(s.h), ref.mean)).toBeLessThan(0.01);
        });
      }
      it('the stepwise search', () => {
        const fit = autoArima(y, s.m)!;
        const [p, q, P, Q, , d, D] = s.auto.arma;
        const o = fit.order;
        // Non-seasonal series take the same path as statsforecast's; seasonal ones are searched by CSS here (see arima.ts).
        if (s.m === 1) {
          expect([o.p, o.d, o.q]).toEqual([p, d, q]);
          expect(maxRelativeError(fit.forecast(s.h), s.auto.mean)).toBeLessThan(0.01);
        } else {
          expect(o.d + o.D).toBe(d! + D!);
          expect(maxRelativeError(fit.forecast(s.h), s.auto.mean)).toBeLessThan(0.15);
        }
        void P;
        void Q;
      });
    });
  }
});

describe('ARIMA building blocks', () => {
  it('differences at lag 1 and m', () => {
    expect(Array.from(difference(Float64Array.from([1, 4, 9, 16, 25]), 1, 0, 1))).toEqual([3, 5, 7, 9]);
    expect(Array.from(difference(Float64Array.from([1, 2, 3, 5, 6, 7]), 0, 1, 3))).toEqual([4, 4, 4]);
  });
  it('finds roots inside the 1.01 circle', () => {
    expect(rootsOutside(Float64Array.from([0.5]))).toBe(true);
    expect(rootsOutside(Float64Array.from([0.995]))).toBe(false); // root 1.005
    expect(rootsOutside(Float64Array.from([1.2, -0.5]))).toBe(true); // roots 1.2 ± 0.6i, |z| = 1.41
    expect(rootsOutside(Float64Array.from([0, 0, 0, 0.97]))).toBe(false); // |z| = 0.97^(-1/4) = 1.0076
    expect(rootsOutside(Float64Array.from([0, 0, 0, 0.9]))).toBe(true); // |z| = 1.027
  });
  it('recovers a simulated AR(2) with its mean', () => {
    let state = 7;
    const rnd = () => ((state = (state * 16807) % 2147483647) / 2147483647);
    const g = () => Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
    const y = new Float64Array(600);
    let a = 0;
    let b = 0;
    for (let t = 0; t < 600; t++) {
      const v = 0.6 * a - 0.3 * b + g();
      b = a;
      a = v;
      y[t] = 50 + v;
    }
    const fit = fitArima(y, { p: 2, d: 0, q: 0, P: 0, D: 0, Q: 0, m: 1, constant: true })!;
    // Within about two standard errors (0.04 at n = 600) of the truth.
    expect(Math.abs(fit.phi[0]! - 0.6)).toBeLessThan(0.1);
    expect(Math.abs(fit.phi[1]! + 0.3)).toBeLessThan(0.1);
    expect(fit.mu).toBeCloseTo(50, 0);
    expect(fit.sigma2).toBeCloseTo(1, 0);
  });
});
