import { describe, expect, it } from 'vitest';
import { adida, croston, imapa, meanInterval, optimalSesAlpha, sba, sesForecast, tsb } from './intermittent.js';
import { golden } from './golden.js';

describe(`intermittent models against ${golden.source}`, () => {
  golden.intermittent.forEach((ref, i) => {
    const y = Float64Array.from(ref.y);
    it(`series ${i + 1}: Croston, SBA, TSB, ADIDA and IMAPA give statsforecast's forecasts`, () => {
      const models = { croston, sba, tsb, adida, imapa };
      for (const [name, model] of Object.entries(models)) {
        const f = model.fit(y, 1)!.forecast(3);
        expect(f[0], name).toBeCloseTo(ref[name as keyof typeof models], 10);
        expect(f[2], `${name} is flat`).toBe(f[0]);
      }
    });
  });
});

describe('intermittent building blocks', () => {
  it('SES starts from the first value', () => {
    expect(sesForecast([4], 0.1)).toBe(4);
    expect(sesForecast([4, 8], 0.5)).toBe(0.5 * 8 + 0.5 * 4);
  });

  it('the golden-section α minimises the squared errors on [0.1, 0.3]', () => {
    const x = [3, 9, 2, 8, 4, 7, 3, 9, 1, 8];
    const a = optimalSesAlpha(x);
    const sse = (alpha: number) => {
      let f = x[0]!;
      let s = 0;
      for (let i = 1; i < x.length; i++) {
        f = alpha * x[i - 1]! + (1 - alpha) * f;
        s += (x[i]! - f) ** 2;
      }
      return s;
    };
    for (let b = 0.1; b <= 0.3; b += 0.01) expect(sse(a)).toBeLessThanOrEqual(sse(b) + 1e-12);
  });

  it('a series without demand forecasts zero', () => {
    const y = new Float64Array(10);
    for (const model of [croston, sba, tsb, adida, imapa]) expect(model.fit(y, 1)!.forecast(1)[0]).toBe(0);
    expect(meanInterval(y)).toBe(Infinity);
  });

  it('TSB decays after demand stops (obsolescence), Croston does not', () => {
    const y = Float64Array.from([5, 0, 5, 0, 5, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const before = Float64Array.from(y.subarray(0, 8));
    expect(tsb.fit(y, 1)!.forecast(1)[0]!).toBeLessThan(tsb.fit(before, 1)!.forecast(1)[0]! / 2);
    expect(croston.fit(y, 1)!.forecast(1)[0]).toBeCloseTo(croston.fit(before, 1)!.forecast(1)[0]!, 10);
  });
});
