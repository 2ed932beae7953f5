import { describe, expect, it } from 'vitest';
import { naive, seasonalNaive } from './naive.js';

describe('naive and seasonal naive', () => {
  const y = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

  it('naive repeats the last value', () => {
    expect(Array.from(naive.fit(y, 4)!.forecast(3))).toEqual([8, 8, 8]);
  });

  it('seasonal naive repeats the last season', () => {
    expect(Array.from(seasonalNaive.fit(y, 4)!.forecast(6))).toEqual([5, 6, 7, 8, 5, 6]);
    // Shorter than a season: naive.
    expect(Array.from(seasonalNaive.fit(y.subarray(0, 3), 4)!.forecast(2))).toEqual([3, 3]);
  });

  it('rolls forward from each origin with what that origin has seen', () => {
    const out = new Float64Array(3 * 2);
    seasonalNaive.fit(y.subarray(0, 5), 4)!.rolling(y, 5, 2, out);
    // Origins 5, 6, 7: the values one season (4) before each forecast period.
    expect(Array.from(out)).toEqual([2, 3, 3, 4, 4, 5]);
  });
});
