import { describe, expect, it } from 'vitest';
import { random } from '../../test/helpers/random.js';
import { backtestWindow, forecastSeries } from './forecast.js';
import { croston } from './models/intermittent.js';

function gaussian(rnd: () => number): number {
  const u = Math.max(rnd(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

describe('forecastSeries', () => {
  it('combines ETS, Theta and CES for smooth demand and records the backtest', () => {
    const rnd = random(3);
    const y = Float64Array.from({ length: 96 }, (_, t) => 100 + 0.5 * t + 15 * Math.sin((2 * Math.PI * t) / 12) + 3 * gaussian(rnd));
    const f = forecastSeries(y, { horizon: 12, seasonPeriod: 12 });
    expect(f.demandClass).toBe('smooth');
    expect(f.model).toMatch(/^mean\(ETS\(.+\),theta\(STM\),ces\)$/);
    expect(f.backtest!.origins).toBe(backtestWindow(96, 12));
    expect(f.backtest!.mase).toBeGreaterThan(0);
    expect(f.backtest!.mase).toBeLessThan(1);
    expect(f.mean).toHaveLength(12);
    for (let j = 0; j < 12; j++) {
      const [i80, i95] = f.intervals;
      expect(i80!.lower[j]!).toBeLessThan(f.mean[j]!);
      expect(i80!.upper[j]!).toBeGreaterThan(f.mean[j]!);
      expect(i95!.lower[j]!).toBeLessThanOrEqual(i80!.lower[j]!);
      expect(i95!.upper[j]!).toBeGreaterThanOrEqual(i80!.upper[j]!);
    }
  });

  it('picks an intermittent model for intermittent demand and never forecasts below zero', () => {
    const rnd = random(5);
    const y = Float64Array.from({ length: 200 }, () => (rnd() < 0.2 ? 1 + Math.floor(rnd() * 6) : 0));
    const f = forecastSeries(y, { horizon: 10, seasonPeriod: 7 });
    expect(['intermittent', 'lumpy']).toContain(f.demandClass);
    expect(['croston', 'sba', 'tsb', 'adida', 'imapa']).toContain(f.model);
    for (const iv of f.intervals) for (const v of iv.lower) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('forecasts a constant history as that constant', () => {
    const f = forecastSeries(new Float64Array(30).fill(7), { horizon: 3, seasonPeriod: 7 });
    expect(Array.from(f.mean)).toEqual([7, 7, 7]);
  });

  it('takes the models it is given', () => {
    const y = Float64Array.from({ length: 40 }, (_, t) => (t % 3 === 0 ? 5 : 0));
    expect(forecastSeries(y, { horizon: 2, seasonPeriod: 1, models: [croston] }).model).toBe('croston');
  });
});

/**
 * The probability range [F(y−), F(y)] of an actual y under a forecast given
 * by its quantile function (bisection on p). For continuous forecasts it is
 * one point; where the forecast has an atom (demand 0) it is the atom.
 */
function pitRange(q: (p: number) => number, y: number): [number, number] {
  const bisect = (pred: (p: number) => boolean) => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (pred(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  };
  const below = bisect((p) => q(p) < y);
  return [below, Math.max(below, bisect((p) => q(p) <= y))];
}

/**
 * How much of an actual counts as between the probability levels lo and hi:
 * the randomised PIT of Czado, Gneiting & Held (2009), "Predictive model
 * assessment for count data", Biometrics 65(4): an actual on an atom of the
 * forecast (a lower bound of 0 with many zero periods) counts with the share
 * of the atom's probability range that lies between the levels, so that a
 * calibrated forecast of discrete demand scores its nominal coverage. Values
 * off any atom count 1 or 0, as for continuous data.
 */
function between([a, b]: [number, number], lo: number, hi: number): number {
  if (b - a < 1e-9) return a >= lo && a <= hi ? 1 : 0;
  return Math.max(0, Math.min(b, hi) - Math.max(a, lo)) / (b - a);
}

/**
 * Calibration on simulated held-out data: many series from known processes,
 * each forecast from its history, the share of the next values inside the
 * 80 % interval (probability levels 0.1–0.9) and below the 95 % upper bound
 * (the 0.95 quantile), counted as above.
 */
function coverage(make: (rnd: () => number, n: number) => Float64Array, m: number, series: number, n: number, h: number) {
  let in80 = 0;
  let below95 = 0;
  let total = 0;
  for (let s = 0; s < series; s++) {
    const rnd = random(100 + s);
    const all = make(rnd, n + h);
    const f = forecastSeries(all.subarray(0, n), { horizon: h, seasonPeriod: m, levels: [0.8, 0.9] });
    const [i80, i90] = f.intervals;
    for (let j = 0; j < h; j++) {
      const v = all[n + j]!;
      const r = pitRange((p) => f.quantile(p, j), v);
      in80 += between(r, 0.1, 0.9);
      below95 += between(r, 0, 0.95);
      // The intervals are the quantiles.
      expect(i80!.lower[j]).toBeCloseTo(f.quantile(0.1, j), 9);
      expect(i90!.upper[j]).toBeCloseTo(f.quantile(0.95, j), 9);
      total++;
    }
  }
  return { in80: in80 / total, below95: below95 / total };
}

describe('prediction intervals are calibrated on simulated held-out data (80 % ± 4, 95 % upper ± 3)', () => {
  it('a local level with noise (monthly, seasonal)', () => {
    const c = coverage(
      (rnd, len) => {
        let level = 100;
        return Float64Array.from({ length: len }, (_, t) => {
          level += 2 * gaussian(rnd);
          return level * (1 + 0.2 * Math.sin((2 * Math.PI * t) / 12)) + 4 * gaussian(rnd);
        });
      },
      12,
      40,
      120,
      12,
    );
    expect(Math.abs(c.in80 - 0.8)).toBeLessThanOrEqual(0.04);
    expect(Math.abs(c.below95 - 0.95)).toBeLessThanOrEqual(0.03);
  }, 300_000);

  it('daily intermittent demand (a zero on the lower bound counts by the randomised PIT)', () => {
    const c = coverage((rnd, len) => Float64Array.from({ length: len }, () => (rnd() < 0.3 ? 1 + Math.floor(rnd() * 8) : 0)), 7, 60, 365, 14);
    expect(Math.abs(c.in80 - 0.8)).toBeLessThanOrEqual(0.04);
    expect(Math.abs(c.below95 - 0.95)).toBeLessThanOrEqual(0.03);
  }, 300_000);

  it('lumpy daily demand, rarer and larger', () => {
    const c = coverage((rnd, len) => Float64Array.from({ length: len }, () => (rnd() < 0.12 ? 1 + Math.floor(rnd() * 20) : 0)), 7, 60, 365, 14);
    expect(Math.abs(c.in80 - 0.8)).toBeLessThanOrEqual(0.04);
    expect(Math.abs(c.below95 - 0.95)).toBeLessThanOrEqual(0.03);
  }, 300_000);
});

describe('daily data with a weekly and a yearly pattern', () => {
  const week = [0.8, 0.9, 1, 1, 1.1, 1.5, 0.7];
  const make = (days: number, seed: number) => {
    const rnd = random(seed);
    return Float64Array.from({ length: days }, (_, t) => Math.max(0, 100 * week[t % 7]! * (1 + 0.5 * Math.sin((2 * Math.PI * t) / 364)) * (1 + 0.05 * gaussian(rnd))));
  };

  it('finds the yearly pattern on two years and forecasts the season turning better than the weekly models alone', () => {
    let withYearly = 0;
    let without = 0;
    for (let s = 0; s < 4; s++) {
      // Histories ending where the yearly wave climbs steeply.
      const all = make(2 * 364 + 364 / 2 + 28, 40 + s);
      const n = all.length - 28;
      const history = all.subarray(0, n);
      const a = forecastSeries(history, { horizon: 28, seasonPeriod: 7, yearly: true });
      const b = forecastSeries(history, { horizon: 28, seasonPeriod: 7 });
      expect(a.model).toMatch(/\+yearly$/);
      for (let j = 0; j < 28; j++) {
        withYearly += Math.abs(all[n + j]! - a.mean[j]!);
        without += Math.abs(all[n + j]! - b.mean[j]!);
      }
    }
    expect(withYearly).toBeLessThan(0.7 * without);
  }, 300_000);

  it('leaves data without a yearly pattern to the weekly models', () => {
    const rnd = random(9);
    const y = Float64Array.from({ length: 800 }, (_, t) => 50 * week[t % 7]! * (1 + 0.1 * gaussian(rnd)));
    expect(forecastSeries(y, { horizon: 14, seasonPeriod: 7, yearly: true }).model).not.toMatch(/yearly/);
  }, 120_000);
});
