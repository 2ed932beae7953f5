import { describe, expect, it } from 'vitest';
import { autoTheta, fitThetaForm, optimizedTheta, theta } from './theta.js';
import { ces } from './ces.js';
import { golden, maxRelativeError } from './golden.js';

describe(`Theta against ${golden.source} (M3 series)`, () => {
  for (const ref of golden.theta) {
    const y = Float64Array.from(ref.y);
    it(`${ref.id}: the standard theta method (θ = 2) matches Theta(); the optimised one OptimizedTheta()`, () => {
      expect(maxRelativeError(theta.fit(y, ref.m)!.forecast(ref.h), ref.theta)).toBeLessThan(1e-3);
      // Different simplex paths may stop at slightly different optima.
      expect(maxRelativeError(optimizedTheta.fit(y, ref.m)!.forecast(ref.h), ref.otm)).toBeLessThan(0.05);
    });
  }
});

describe(`CES against ${golden.source} AutoCES(model="N")`, () => {
  for (const ref of golden.ces) {
    it(`${ref.id}: forecasts within 5 % (statsforecast keeps its states in float32)`, () => {
      expect(maxRelativeError(ces.fit(Float64Array.from(ref.y), 1)!.forecast(ref.h), ref.mean)).toBeLessThan(0.05);
    });
  }
});

describe('theta models', () => {
  it('the standard theta method is SES with drift b/2 (Hyndman & Billah 2003): on a line of slope 2 it rises by 1 a step', () => {
    const y = Float64Array.from({ length: 30 }, (_, t) => 100 + 2 * t);
    const f = theta.fit(y, 1)!.forecast(5);
    for (let j = 0; j < 5; j++) expect(f[j]!).toBeCloseTo(158 + (j + 1), 0);
  });

  it('the optimised θ is at least 1 and fits no worse than θ = 2', () => {
    const y = Float64Array.from({ length: 40 }, (_, t) => 50 + 0.5 * t + 5 * Math.sin(t));
    const stm = fitThetaForm(y, 'STM')!;
    const otm = fitThetaForm(y, 'OTM')!;
    expect(otm.parameters.theta).toBeGreaterThanOrEqual(1);
    expect(otm.mse).toBeLessThanOrEqual(stm.mse * (1 + 1e-6));
  });

  it('seasonal data is decomposed first and its forecasts carry the season', () => {
    const pattern = [1, 1.3, 0.8, 0.9];
    const y = Float64Array.from({ length: 40 }, (_, t) => 100 * pattern[t % 4]!);
    const f = autoTheta.fit(y, 4)!.forecast(4);
    for (let j = 0; j < 4; j++) expect(f[j]).toBeCloseTo(100 * pattern[j]!, 0);
  });
});
