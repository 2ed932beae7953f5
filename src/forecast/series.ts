/**
 * From one item's (date, quantity[, on hand]) rows to a regular demand
 * series: detected frequency, duplicates summed, missing periods filled with
 * zero demand, the leading run of zeros dropped, stock-out periods (on hand
 * 0 and nothing sold) treated as unknown demand rather than zero demand.
 */
import { ForecastInputError } from './errors.js';
import { isSeasonal } from './stats.js';

export type Frequency = 'day' | 'week' | 'month' | 'quarter' | 'year';

export interface Observation {
  /** `YYYY-MM-DD` (a longer ISO timestamp is cut to its date) or a Date (its UTC date). */
  date: string | Date;
  quantity: number;
  /** Stock on hand at the end of that date, when known. */
  onHand?: number | null;
}

export interface PreparedSeries {
  frequency: Frequency;
  /** Nominal seasonal period of the frequency (7, 52, 12, 4, 1). */
  nominalPeriod: number;
  /** The period the models use: the nominal one when the history holds two full seasons, else 1. */
  seasonPeriod: number;
  /** Whether the autocorrelation test finds the seasonal pattern in the data. */
  seasonal: boolean;
  /** Average days per period (1, 7, 30.4375, 91.3125, 365.25). */
  periodDays: number;
  /** Demand per period, oldest first; stock-out periods filled in (see `estimated`). */
  values: Float64Array;
  /** Periods whose demand was estimated because the item was out of stock. */
  estimated: number;
  /** First day (YYYY-MM-DD) of the first period of `values`. */
  start: string;
  /** The last date seen in the rows. */
  lastDate: string;
  /** The last known on-hand quantity, or null. */
  onHand: number | null;
}

export const NOMINAL_PERIOD: Record<Frequency, number> = { day: 7, week: 52, month: 12, quarter: 4, year: 1 };
export const PERIOD_DAYS: Record<Frequency, number> = { day: 1, week: 7, month: 30.4375, quarter: 91.3125, year: 365.25 };

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a date. */
export function dayNumber(date: string | Date): number {
  if (date instanceof Date) {
    const t = date.getTime();
    if (Number.isNaN(t)) throw new ForecastInputError('date', 'invalid date');
    return Math.floor(t / DAY_MS);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m) throw new ForecastInputError('date', `invalid date "${date}": expected YYYY-MM-DD`);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(t);
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) throw new ForecastInputError('date', `invalid date "${date}"`);
  return t / DAY_MS;
}

export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Frequency from the median gap between distinct dates. */
export function detectFrequency(days: number[]): Frequency {
  const distinct = [...new Set(days)].sort((a, b) => a - b);
  if (distinct.length < 2) return 'day';
  const gaps = distinct.slice(1).map((d, i) => d - distinct[i]!).sort((a, b) => a - b);
  const g = gaps[Math.floor((gaps.length - 1) / 2)]!;
  if (g <= 1.5) return 'day';
  if (g <= 10) return 'week';
  if (g <= 45) return 'month';
  if (g <= 135) return 'quarter';
  return 'year';
}

/** Period number of a day for a frequency, weeks counted from `anchor` (the first date's weekday). */
function periodOf(day: number, f: Frequency, anchor: number): number {
  if (f === 'day') return day;
  if (f === 'week') return Math.floor((day - anchor) / 7);
  const d = new Date(day * DAY_MS);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  if (f === 'month') return y * 12 + mo;
  if (f === 'quarter') return y * 4 + Math.floor(mo / 3);
  return y;
}

/** First day of a period number. */
export function periodStart(p: number, f: Frequency, anchor: number): number {
  if (f === 'day') return p;
  if (f === 'week') return anchor + 7 * p;
  if (f === 'month') return Date.UTC(Math.floor(p / 12), p % 12, 1) / DAY_MS;
  if (f === 'quarter') return Date.UTC(Math.floor(p / 4), (p % 4) * 3, 1) / DAY_MS;
  return Date.UTC(p, 0, 1) / DAY_MS;
}

/** The first day of the period `offset` periods after the period starting on `start` (YYYY-MM-DD). */
export function addPeriods(start: string, f: Frequency, offset: number): string {
  const day = dayNumber(start);
  if (f === 'day') return isoDate(day + offset);
  if (f === 'week') return isoDate(day + 7 * offset);
  const p = periodOf(day, f, day) + offset;
  return isoDate(periodStart(p, f, day));
}

export interface PrepareOptions {
  frequency?: Frequency | 'auto';
}

export function prepareSeries(rows: Iterable<Observation>, options: PrepareOptions = {}): PreparedSeries {
  const days: number[] = [];
  const quantities: number[] = [];
  const onHands: (number | null)[] = [];
  for (const r of rows) {
    const q = Number(r.quantity);
    if (!Number.isFinite(q)) throw new ForecastInputError('quantity', `invalid quantity ${String(r.quantity)} on ${String(r.date)}`);
    days.push(dayNumber(r.date));
    quantities.push(q);
    onHands.push(r.onHand === undefined || r.onHand === null || !Number.isFinite(Number(r.onHand)) ? null : Number(r.onHand));
  }
  const frequency = !options.frequency || options.frequency === 'auto' ? detectFrequency(days) : options.frequency;
  const nominalPeriod = NOMINAL_PERIOD[frequency];
  const periodDays = PERIOD_DAYS[frequency];
  if (days.length === 0) {
    return { frequency, nominalPeriod, seasonPeriod: 1, seasonal: false, periodDays, values: new Float64Array(0), estimated: 0, start: '', lastDate: '', onHand: null };
  }
  const anchor = Math.min(...days);
  let first = Infinity;
  let last = -Infinity;
  for (const d of days) {
    const p = periodOf(d, frequency, anchor);
    if (p < first) first = p;
    if (p > last) last = p;
  }
  const n = last - first + 1;
  const demand = new Float64Array(n);
  // The last on-hand reading of each period (end-of-period stock), and its day.
  const stock = new Float64Array(n).fill(NaN);
  const stockDay = new Float64Array(n).fill(-Infinity);
  let lastDay = -Infinity;
  let onHand: number | null = null;
  let onHandDay = -Infinity;
  for (let i = 0; i < days.length; i++) {
    const d = days[i]!;
    const p = periodOf(d, frequency, anchor) - first;
    demand[p] = demand[p]! + quantities[i]!;
    if (d > lastDay) lastDay = d;
    const oh = onHands[i]!;
    if (oh !== null) {
      if (d >= stockDay[p]!) {
        stock[p] = oh;
        stockDay[p] = d;
      }
      if (d >= onHandDay) {
        onHand = oh;
        onHandDay = d;
      }
    }
  }
  // Stock-outs: nothing sold while nothing was on hand says nothing about demand.
  let estimated = 0;
  for (let p = 0; p < n; p++) {
    if (demand[p] === 0 && stock[p] === 0) {
      demand[p] = NaN;
      estimated++;
    }
  }
  // Drop the leading run of zero (or unknown) demand: the item did not exist yet.
  let lead = 0;
  while (lead < n && !(demand[lead]! !== 0 && !Number.isNaN(demand[lead]!))) lead++;
  if (lead === n) lead = Math.max(0, n - 1);
  const values = demand.slice(lead);
  estimated = 0;
  for (const v of values) if (Number.isNaN(v)) estimated++;
  fillUnknown(values, nominalPeriod);
  const seasonPeriod = nominalPeriod > 1 && values.length >= 2 * nominalPeriod ? nominalPeriod : 1;
  return {
    frequency,
    nominalPeriod,
    seasonPeriod,
    seasonal: seasonPeriod > 1 && isSeasonal(values, seasonPeriod),
    periodDays,
    values,
    estimated,
    start: isoDate(periodStart(first + lead, frequency, anchor)),
    lastDate: isoDate(lastDay),
    onHand,
  };
}

/**
 * Estimates unknown (stock-out) periods by the mean of the known values
 * within a season on either side (a week of days at least), or of all
 * known values when the gap is longer.
 */
function fillUnknown(v: Float64Array, m: number): void {
  const w = Math.max(7, m);
  let known = 0;
  let sum = 0;
  for (const x of v) {
    if (!Number.isNaN(x)) {
      known++;
      sum += x;
    }
  }
  const overall = known ? sum / known : 0;
  const orig = v.slice();
  for (let t = 0; t < v.length; t++) {
    if (!Number.isNaN(orig[t]!)) continue;
    let s = 0;
    let c = 0;
    for (let k = Math.max(0, t - w); k <= Math.min(v.length - 1, t + w); k++) {
      if (!Number.isNaN(orig[k]!)) {
        s += orig[k]!;
        c++;
      }
    }
    v[t] = c ? s / c : overall;
  }
}
