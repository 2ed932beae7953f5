import { describe, expect, it } from 'vitest';
import { autoEts, candidateForms, etsLikelihood, etsModel, fitEts, formName, type EtsForm, type EtsParameters } from './ets.js';
import { golden, maxRelativeError } from './golden.js';

/** statsforecast's components string (e.g. "MAND") as our form. */
const formOf = (c: string): EtsForm => ({ error: c[0] as EtsForm['error'], trend: c[1] === 'N' ? 'N' : c[3] === 'D' ? 'Ad' : 'A', season: c[2] as EtsForm['season'] });

/** statsforecast's parameters and initial state row as ours (its seasonal states run newest first). */
function parametersOf(form: EtsForm, m: number, par: (number | null)[], initial: number[]): EtsParameters {
  const hasTrend = form.trend !== 'N';
  const mm = form.season === 'N' ? 1 : m;
  const seasonal = new Float64Array(mm);
  if (form.season !== 'N') for (let i = 0; i < mm; i++) seasonal[i] = initial[(hasTrend ? 2 : 1) + (mm - 1 - i)]!;
  return { alpha: par[0]!, beta: par[1] ?? 0, gamma: par[2] ?? 0, phi: par[3] ?? 1, level: initial[0]!, growth: hasTrend ? initial[1]! : 0, seasonal };
}

describe(`ETS against ${golden.source} (M3 series)`, () => {
  for (const series of golden.ets) {
    const y = Float64Array.from(series.y);
    describe(series.id, () => {
      for (const [key, ref] of Object.entries(series.fits)) {
        const form = formOf(ref.components);
        it(`${key} (${ref.components}): the same likelihood and forecasts from statsforecast's own parameters`, () => {
          const p = parametersOf(form, series.m, ref.par, ref.initial);
          expect(etsLikelihood(y, series.m, form, p)).toBeCloseTo(-2 * ref.loglik, 6);
          const f = etsModel(y, series.m, form, p).forecast(series.h);
          // Step 1 always agrees. Beyond it a damped trend differs on purpose: statsforecast sums φ + φ + φ² + …
          // where Hyndman et al. (2008, Table 2.1) have φ + φ² + … + φ^h, which we follow.
          expect(Math.abs(f[0]! - ref.mean[0]!) / Math.abs(ref.mean[0]!)).toBeLessThan(1e-9);
          expect(maxRelativeError(f, ref.mean)).toBeLessThan(form.trend === 'Ad' ? 0.02 : 1e-9);
        });
        it(`${key}: our own fit reaches statsforecast's optimum or a better one`, () => {
          const fit = key === 'ZZZ' ? autoEts(y, series.m) : fitEts(y, series.m, form);
          expect(fit).not.toBeNull();
          if (key === 'ZZZ') expect(formName(fit!.form)).toBe(formName(form));
          expect(fit!.aicc).toBeLessThanOrEqual(ref.aicc + 0.005 * Math.abs(ref.aicc));
          // At the same optimum the forecasts agree; a clearly better likelihood (N0001, N3000) may forecast otherwise.
          if (Math.abs(fit!.aicc - ref.aicc) < 0.5) expect(maxRelativeError(fit!.forecast(series.h), ref.mean)).toBeLessThan(0.03);
        });
      }
    });
  }
});

describe('ETS model set', () => {
  it("is R's ets() set: no additive error with multiplicative season, multiplicative forms only for positive data", () => {
    const positive = Float64Array.from({ length: 40 }, (_, t) => 10 + (t % 4));
    const names = candidateForms(positive, 4).map(formName);
    expect(names).toHaveLength(15);
    expect(names).not.toContain('ETS(A,N,M)');
    const withZero = positive.slice();
    withZero[3] = 0;
    expect(candidateForms(withZero, 4).map(formName)).toEqual(['ETS(A,N,N)', 'ETS(A,N,A)', 'ETS(A,A,N)', 'ETS(A,A,A)', 'ETS(A,Ad,N)', 'ETS(A,Ad,A)']);
  });

  it('fits no seasonal form on less than a season and a bit of data', () => {
    const y = Float64Array.from({ length: 13 }, (_, t) => 5 + (t % 12));
    expect(fitEts(y, 12, { error: 'A', trend: 'N', season: 'A' })).toBeNull();
  });

  it('recovers a clean seasonal pattern', () => {
    const pattern = [10, 14, 18, 12];
    const y = Float64Array.from({ length: 48 }, (_, t) => pattern[t % 4]! + 0.01 * Math.sin(t * 7));
    const fit = autoEts(y, 4)!;
    expect(fit.form.season).not.toBe('N');
    const f = fit.forecast(4);
    for (let j = 0; j < 4; j++) expect(f[j]).toBeCloseTo(pattern[j]!, 0);
  });
});
