import { describe, expect, it } from 'vitest';
import { random } from '../../test/helpers/random.js';
import { ForecastInputError } from './errors.js';
import { forecastItem } from './item.js';
import { addPeriods } from './series.js';

/** Daily demand generators of known distributions (seeded). */
type Draw = (rnd: () => number) => number;
const normalDraw = (mean: number, sd: number): Draw => (rnd) => {
  const u = Math.max(rnd(), 1e-12);
  return Math.max(0, mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd()));
};
const poissonDraw = (lambda: number): Draw => (rnd) => {
  // Knuth's method (small λ).
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd();
  } while (p > l);
  return k - 1;
};
const intermittentDraw = (p: number, maxSize: number): Draw => (rnd) => (rnd() < p ? 1 + Math.floor(rnd() * maxSize) : 0);

function rowsOf(draw: Draw, rnd: () => number, days: number, onHand: number) {
  return Array.from({ length: days }, (_, t) => ({ date: addPeriods('2024-01-01', 'day', t), quantity: draw(rnd), onHand: t === days - 1 ? onHand : null }));
}

/**
 * The share of lead times whose demand stays within the reorder point, over
 * many histories (each gets its own forecast and reorder point) and many
 * simulated lead times per history.
 */
function achievedServiceLevel(draw: Draw, serviceLevel: number, leadTimeDays: number, seed: number, histories = 24, leadTimes = 2000): number {
  let ok = 0;
  let total = 0;
  for (let h = 0; h < histories; h++) {
    const rnd = random(seed + 7919 * h);
    const result = forecastItem({ key: String(h), rows: rowsOf(draw, rnd, 365, 1000) }, { leadTimeDays, serviceLevel, horizon: 28 });
    const rop = result.plan.reorderPoint;
    for (let k = 0; k < leadTimes; k++) {
      let d = 0;
      for (let t = 0; t < leadTimeDays; t++) d += draw(rnd);
      if (d <= rop) ok++;
      total++;
    }
  }
  return ok / total;
}

describe('the reorder point delivers the cycle service level it promises (simulation, ± 3 points)', () => {
  const cases: [string, Draw][] = [
    ['normal demand (mean 50, sd 10 a day)', normalDraw(50, 10)],
    ['Poisson demand (3 a day)', poissonDraw(3)],
    ['intermittent demand (a day in four, sizes 1–10)', intermittentDraw(0.25, 10)],
  ];
  cases.forEach(([name, draw], i) => {
    for (const level of [0.95, 0.9]) {
      it(`${name}, target ${level * 100} %`, () => {
        const achieved = achievedServiceLevel(draw, level, 7, 1000 + 31 * i + Math.round(level * 100));
        expect(Math.abs(achieved - level)).toBeLessThanOrEqual(0.03);
      }, 120_000);
    }
  });
});

describe('plan', () => {
  const steady = (days: number) => Array.from({ length: days }, (_, t) => ({ date: addPeriods('2024-01-01', 'day', t), quantity: 10 + (t % 3) - 1 }));

  it('says reorder_now at or below the reorder point and orders up to the order-up-to level', () => {
    const rows = steady(120);
    rows[rows.length - 1]!.quantity = 10;
    const r = forecastItem({ key: 'a', rows: [...rows.slice(0, -1), { ...rows[rows.length - 1]!, onHand: 30 }] }, { leadTimeDays: 7, reviewPeriodDays: 7 });
    const p = r.plan;
    expect(p.leadTimeDemand).toBeCloseTo(70, -1);
    expect(p.reorderPoint).toBeGreaterThan(p.leadTimeDemand);
    expect(p.safetyStock).toBeCloseTo(p.reorderPoint - p.leadTimeDemand, 10);
    expect(p.status).toBe('reorder_now');
    expect(p.orderQuantity).toBeCloseTo(p.orderUpTo - 30, 10);
    expect(p.avgDailyDemand).toBeCloseTo(10, 0);
    expect(p.daysOfCover).toBeCloseTo(3, 0);
    // 30 units at 10 a day after 2024-04-29 (the last day) run out three days later.
    expect(p.stockoutDate).toBe('2024-05-02');
  });

  it('says ok between the reorder point and the overstock line, overstock far above it', () => {
    const rows = steady(120);
    const last = rows.length - 1;
    const ok = forecastItem({ key: 'b', rows: rows.map((r, t) => (t === last ? { ...r, onHand: 150 } : r)) }, { leadTimeDays: 7 });
    expect(ok.plan.status).toBe('ok');
    expect(ok.plan.orderQuantity).toBe(0);
    const over = forecastItem({ key: 'c', rows: rows.map((r, t) => (t === last ? { ...r, onHand: 5000 } : r)) }, { leadTimeDays: 7 });
    expect(over.plan.status).toBe('overstock');
  });

  it('says no_demand without demand and too_short on a short history', () => {
    const none = forecastItem({ key: 'd', rows: [{ date: '2024-01-01', quantity: 0, onHand: 3 }, { date: '2024-01-02', quantity: 0 }] });
    expect(none.plan.status).toBe('no_demand');
    const zeros = forecastItem({ key: 'e', rows: Array.from({ length: 30 }, (_, t) => ({ date: addPeriods('2024-01-01', 'day', t), quantity: 0 })) });
    expect(zeros.plan.status).toBe('no_demand');
    expect(zeros.plan.reorderPoint).toBe(0);
    const short = forecastItem({ key: 'f', rows: steady(3) });
    expect(short.plan.status).toBe('too_short');
  });

  it('converts the lead time in days to periods of weekly data', () => {
    const rows = Array.from({ length: 80 }, (_, t) => ({ date: addPeriods('2023-01-02', 'week', t), quantity: 70 + (t % 2) }));
    const r = forecastItem({ key: 'w', rows }, { leadTimeDays: 14 });
    expect(r.frequency).toBe('week');
    expect(r.plan.leadTimeDemand).toBeCloseTo(2 * 70.5, -1);
    expect(r.forecast[0]!.period).toBe(addPeriods('2023-01-02', 'week', 80));
  });

  it('refuses a service level outside (0.5, 1) and a negative lead time', () => {
    expect(() => forecastItem({ key: 'x', rows: steady(30) }, { serviceLevel: 1.2 })).toThrow(/serviceLevel/);
    expect(() => forecastItem({ key: 'x', rows: steady(30) }, { leadTimeDays: -1 })).toThrow(/leadTimeDays/);
    expect(() => forecastItem({ key: 'x', rows: steady(30) }, { horizon: 0 })).toThrow(ForecastInputError);
    let error: unknown;
    try {
      forecastItem({ key: 'x', rows: steady(30) }, { reviewPeriodDays: -2 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ForecastInputError);
    expect((error as ForecastInputError).field).toBe('reviewPeriodDays');
  });
});
