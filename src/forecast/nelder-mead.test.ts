import { describe, expect, it } from 'vitest';
import { nelderMead } from './nelder-mead.js';

describe('nelderMead', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const f = (x: Float64Array) => 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2;
    const r = nelderMead(f, new Float64Array([-1.2, 1]), { lower: new Float64Array([-5, -5]), upper: new Float64Array([5, 5]), step: new Float64Array([0.5, 0.5]), maxEvaluations: 5000, tolerance: 1e-14 });
    expect(r.x[0]).toBeCloseTo(1, 3);
    expect(r.x[1]).toBeCloseTo(1, 3);
  });

  it('stays inside the bounds (a minimum outside them lands on the bound)', () => {
    const f = (x: Float64Array) => (x[0]! - 3) ** 2 + (x[1]! + 1) ** 2 + (x[2]! - 0.5) ** 2;
    const r = nelderMead(f, new Float64Array([0.5, 0.5, 0.5]), { lower: new Float64Array([0, 0, 0]), upper: new Float64Array([1, 1, 1]), step: new Float64Array([0.1, 0.1, 0.1]), maxEvaluations: 2000, tolerance: 1e-12 });
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(0, 4);
    expect(r.x[2]).toBeCloseTo(0.5, 3);
  });

  it('treats NaN as infinitely bad and stops at the evaluation budget', () => {
    let calls = 0;
    const f = (x: Float64Array) => {
      calls++;
      return x[0]! < 0 ? Number.NaN : (x[0]! - 1) ** 2;
    };
    const r = nelderMead(f, new Float64Array([0.2]), { lower: new Float64Array([-10]), upper: new Float64Array([10]), step: new Float64Array([1]), maxEvaluations: 50 });
    expect(r.x[0]).toBeCloseTo(1, 1);
    expect(calls).toBeLessThanOrEqual(50 + 2);
  });
});
