import { describe, expect, it } from 'vitest';
import { tCdf, tQuantile, zQuantile } from './stats.js';

// Reference values: scipy.stats 1.x, norm.ppf(p) and t.ppf(p, df) (which R's qnorm/qt agree with to the digits shown).
const NORMAL: [number, number][] = [
  [1e-10, -6.361340902404056],
  [1e-6, -4.753424308822899],
  [0.001, -3.090232306167813],
  [0.025, -1.959963984540054],
  [0.1, -1.2815515655446004],
  [0.2, -0.8416212335729143],
  [0.45, -0.12566134685507402],
  [0.5, 0],
  [0.9, 1.2815515655446004],
  [0.95, 1.6448536269514722],
  [0.975, 1.959963984540054],
];
const STUDENT: [number, number, number][] = [
  [0.001, 1, -318.30883898555044],
  [0.001, 3, -10.214531852407385],
  [0.05, 2, -2.9199855803537256],
  [0.1, 5, -1.4758840488244813],
  [0.9, 1, 3.0776835371752544],
  [0.9, 33, 1.3077371244508864],
  [0.95, 3, 2.3533634348018233],
  [0.975, 1, 12.706204736174694],
  [0.975, 2, 4.302652729749462],
  [0.975, 5, 2.5705818356363146],
];

describe('normal and t quantiles (our own, in place of two @stdlib packages)', () => {
  it('normal quantile (AS 241) to double precision', () => {
    for (const [p, z] of NORMAL) expect(Math.abs(zQuantile(p) - z)).toBeLessThanOrEqual(2e-15 * Math.max(1, Math.abs(z)));
  });
  it("Student's t quantile to 1e-12 and its distribution function", () => {
    for (const [p, df, t] of STUDENT) {
      expect(Math.abs(tQuantile(p, df) - t)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(t)));
      expect(tCdf(t, df)).toBeCloseTo(p, 12);
    }
  });
  it('large degrees of freedom approach the normal', () => {
    expect(tQuantile(0.9, 5000)).toBeCloseTo(zQuantile(0.9), 3);
  });
});
