import { describe, expect, it } from 'vitest';
import { classifyDemand } from './classify.js';

describe('classifyDemand (Syntetos–Boylan cut-offs ADI 1.32, CV² 0.49)', () => {
  it('smooth: demand every period, little variation', () => {
    expect(classifyDemand([10, 11, 9, 10, 12, 10]).demandClass).toBe('smooth');
  });
  it('erratic: demand every period, sizes vary a lot', () => {
    const p = classifyDemand([1, 30, 2, 40, 1, 25]);
    expect(p.cv2).toBeGreaterThanOrEqual(0.49);
    expect(p.demandClass).toBe('erratic');
  });
  it('intermittent: demand every other period or rarer, steady sizes', () => {
    const p = classifyDemand([5, 0, 0, 5, 0, 6, 0, 0, 5, 0]);
    expect(p.adi).toBeCloseTo(10 / 4, 10);
    expect(p.demandClass).toBe('intermittent');
  });
  it('lumpy: rare and varying', () => {
    expect(classifyDemand([1, 0, 0, 40, 0, 0, 2, 0, 0, 60]).demandClass).toBe('lumpy');
  });
  it('no demand at all', () => {
    expect(classifyDemand([0, 0, 0]).demandClass).toBe('no_demand');
  });
  it('the cut-offs are inclusive on the intermittent side (ADI = 1.32 exactly is intermittent)', () => {
    // 33 periods with 25 demands: ADI = 1.32.
    const y = Array.from({ length: 33 }, (_, i) => (i % 4 === 3 && i < 32 ? 0 : 7));
    const p = classifyDemand(y);
    expect(p.adi).toBeCloseTo(1.32, 10);
    expect(p.demandClass).toBe('intermittent');
  });
  it('leaves unknown (NaN) periods out', () => {
    expect(classifyDemand([5, Number.NaN, 5, Number.NaN, 5]).demandClass).toBe('smooth');
  });
});
