import { describe, expect, it } from 'vitest';
import { addPeriods, detectFrequency, dayNumber, prepareSeries } from './series.js';

const days = (start: string, n: number, step = 1) => Array.from({ length: n }, (_, i) => addPeriods(start, 'day', i * step));

describe('prepareSeries', () => {
  it('detects day, week, month, quarter and year', () => {
    expect(detectFrequency(days('2024-01-01', 10).map(dayNumber))).toBe('day');
    expect(detectFrequency(days('2024-01-01', 10, 7).map(dayNumber))).toBe('week');
    const months = Array.from({ length: 10 }, (_, i) => addPeriods('2024-01-01', 'month', i));
    expect(detectFrequency(months.map(dayNumber))).toBe('month');
    expect(detectFrequency(Array.from({ length: 6 }, (_, i) => addPeriods('2020-01-01', 'quarter', i)).map(dayNumber))).toBe('quarter');
    expect(detectFrequency(Array.from({ length: 6 }, (_, i) => addPeriods('2015-01-01', 'year', i)).map(dayNumber))).toBe('year');
  });

  it('sums duplicates, fills missing periods with zero and drops the leading zeros', () => {
    const s = prepareSeries([
      { date: '2024-01-01', quantity: 0 },
      { date: '2024-01-02', quantity: 0 },
      { date: '2024-01-03', quantity: 2 },
      { date: '2024-01-03', quantity: 3 },
      { date: '2024-01-06', quantity: 4 },
    ]);
    expect(s.frequency).toBe('day');
    expect(s.start).toBe('2024-01-03');
    expect(Array.from(s.values)).toEqual([5, 0, 0, 4]);
    expect(s.lastDate).toBe('2024-01-06');
  });

  it('sums the days of a month into the month', () => {
    const rows = ['2024-01-05', '2024-01-20', '2024-02-03', '2024-04-11'].map((date) => ({ date, quantity: 1 }));
    const s = prepareSeries(rows, { frequency: 'month' });
    expect(Array.from(s.values)).toEqual([2, 1, 0, 1]);
    expect(s.start).toBe('2024-01-01');
    expect(s.periodDays).toBeCloseTo(30.44, 2);
  });

  it('treats a stock-out (nothing on hand, nothing sold) as unknown demand, not zero demand', () => {
    const rows = days('2024-03-01', 21).map((date, i) => ({
      date,
      quantity: i >= 10 && i < 14 ? 0 : 10,
      onHand: i >= 10 && i < 14 ? 0 : 50,
    }));
    const s = prepareSeries(rows);
    expect(s.estimated).toBe(4);
    // Estimated from the neighbouring known days (all 10), not left at 0.
    for (let i = 10; i < 14; i++) expect(s.values[i]).toBe(10);
    expect(s.onHand).toBe(50);
  });

  it('keeps a zero with stock on hand as a true zero', () => {
    const rows = days('2024-03-01', 5).map((date, i) => ({ date, quantity: i === 2 ? 0 : 5, onHand: 20 }));
    expect(prepareSeries(rows).values[2]).toBe(0);
  });

  it('uses a seasonal period only with two full seasons of history, and tests the pattern', () => {
    const short = prepareSeries(days('2024-01-01', 10).map((date) => ({ date, quantity: 3 })));
    expect(short.nominalPeriod).toBe(7);
    expect(short.seasonPeriod).toBe(1);
    const weekly = [5, 5, 5, 5, 5, 20, 25];
    const long = prepareSeries(days('2024-01-01', 70).map((date, i) => ({ date, quantity: weekly[i % 7]! })));
    expect(long.seasonPeriod).toBe(7);
    expect(long.seasonal).toBe(true);
  });

  it('refuses an invalid date or quantity with a message naming it', () => {
    expect(() => prepareSeries([{ date: '2024-13-01', quantity: 1 }])).toThrow(/2024-13-01/);
    expect(() => prepareSeries([{ date: '2024-01-01', quantity: Number.NaN }])).toThrow(/quantity/);
  });

  it('addPeriods steps through months and quarters from their first day', () => {
    expect(addPeriods('2024-01-01', 'month', 13)).toBe('2025-02-01');
    expect(addPeriods('2024-04-01', 'quarter', 3)).toBe('2025-01-01');
    expect(addPeriods('2024-01-01', 'week', 2)).toBe('2024-01-15');
  });
});
