import { describe, expect, it } from 'vitest';
import { createForecastPool, forecastItems } from './batch.js';
import { forecastItem, type ItemInput } from './item.js';
import { addPeriods } from './series.js';

function item(i: number): ItemInput {
  const weekly = [3, 4, 5, 4, 6, 12, 14];
  return {
    key: `sku-${i}`,
    rows: Array.from({ length: 120 }, (_, t) => ({ date: addPeriods('2024-01-01', 'day', t), quantity: i % 3 === 0 ? (t % 5 === 0 ? 4 : 0) : weekly[t % 7]! + (i % 4) + ((t * 7 + i) % 3), onHand: t === 119 ? 40 : null })),
  };
}

describe('forecastItems (worker pool, streamed)', () => {
  it('gives every item, in input order, the same result as forecasting it alone', async () => {
    const results = [];
    for await (const r of forecastItems(Array.from({ length: 8 }, (_, i) => item(i)), { threads: 2, leadTimeDays: 5 })) results.push(r);
    expect(results.map((r) => r.key)).toEqual(Array.from({ length: 8 }, (_, i) => `sku-${i}`));
    for (let i = 0; i < 8; i++) expect(results[i]).toEqual(forecastItem(item(i), { leadTimeDays: 5 }));
    expect(results[1]!.forecast).toHaveLength(28);
    expect(results[0]!.plan.demandClass).toBe('intermittent');
  }, 120_000);

  it('pulls items only as results are taken: never more than `inFlight` ahead', async () => {
    let pulled = 0;
    let taken = 0;
    let maxAhead = 0;
    function* source() {
      for (let i = 0; i < 12; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - taken);
        yield item(i);
      }
    }
    for await (const _ of forecastItems(source(), { threads: 2, inFlight: 3 })) taken++;
    expect(taken).toBe(12);
    expect(maxAhead).toBeLessThanOrEqual(3);
  }, 120_000);

  it('rejects with the item named when its rows are bad', async () => {
    const bad: ItemInput = { key: 'broken', rows: [{ date: 'yesterday', quantity: 1 }] };
    const run = async () => {
      for await (const _ of forecastItems([item(1), bad], { threads: 1 })) void _;
    };
    await expect(run()).rejects.toThrow(/item "broken": invalid date "yesterday"/);
  }, 120_000);

  it('shares one pool between calls running side by side, and leaves it running', async () => {
    const pool = createForecastPool({ threads: 2 });
    try {
      const collect = async (from: number) => {
        const keys: string[] = [];
        for await (const r of forecastItems(Array.from({ length: 4 }, (_, i) => item(from + i)), { pool, inFlight: 2 })) keys.push(r.key);
        return keys;
      };
      const [a, b] = await Promise.all([collect(0), collect(10)]);
      expect(a).toEqual(['sku-0', 'sku-1', 'sku-2', 'sku-3']);
      expect(b).toEqual(['sku-10', 'sku-11', 'sku-12', 'sku-13']);
      // Still usable after both calls ended.
      expect((await pool.run(item(5), {})).key).toBe('sku-5');
    } finally {
      await pool.destroy();
    }
  }, 120_000);
});
