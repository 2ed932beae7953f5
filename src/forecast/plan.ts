/**
 * Inventory planning of one item from its forecast: a continuous-review
 * reorder point and a periodic-review order-up-to level (Silver, Pyke &
 * Thomas 2017, "Inventory and Production Management in Supply Chains",
 * ch. 6–7), with the cycle service level P(demand over the lead time ≤
 * reorder point) as the target.
 *
 * The demand over the lead time is the forecast summed over it plus the
 * error of such sums, from the item's own rolling-origin backtest (see
 * `demandQuantile`): forecast bias, correlated errors and the skew of
 * intermittent demand all reach the safety stock.
 */
import type { DemandClass } from './classify.js';
import type { ItemForecast } from './forecast.js';
import { quantile, zQuantile } from './stats.js';
import { dayNumber, isoDate } from './series.js';

export type PlanStatus = 'reorder_now' | 'ok' | 'overstock' | 'no_demand' | 'too_short';

export interface PlanOptions {
  /** Days from order to receipt. */
  leadTimeDays: number;
  /** Days between two reviews of the stock (periodic review); default 7. */
  reviewPeriodDays?: number;
  /** Target cycle service level, e.g. 0.95. */
  serviceLevel: number;
  /** Days per period of the series (1, 7, 30.4375, …). */
  periodDays: number;
  /** Stock on hand now, or null when unknown. */
  onHand: number | null;
  /** Last day of the history (YYYY-MM-DD): the stock-out date counts from the day after. */
  asOf: string;
  /** Periods of history behind the forecast. */
  historyPeriods: number;
}

export interface ItemPlan {
  onHand: number | null;
  demandClass: DemandClass;
  model: string;
  backtestMase: number | null;
  avgDailyDemand: number;
  leadTimeDays: number;
  leadTimeDemand: number;
  safetyStock: number;
  reorderPoint: number;
  /** Order-up-to level for the review period (lead time + review period). */
  orderUpTo: number;
  /** What to order now: up to the order-up-to level when on hand is at or below the reorder point, else 0. */
  orderQuantity: number;
  stockoutDate: string | null;
  daysOfCover: number | null;
  status: PlanStatus;
}

/** Fewest periods of history a plan is made from. */
export const MIN_HISTORY_PERIODS = 4;

/** Σ of the forecast over `periods` (fractional) periods, repeating the last step beyond the horizon. */
function sumForecast(mean: Float64Array, periods: number): number {
  let s = 0;
  const whole = Math.floor(periods);
  for (let j = 0; j < whole; j++) s += mean[Math.min(j, mean.length - 1)]!;
  const frac = periods - whole;
  if (frac > 0) s += frac * mean[Math.min(whole, mean.length - 1)]!;
  return s;
}

/** Errors of the backtest's forecast sums over `periods` periods, one per origin that saw all of them. */
export function cumulativeErrors(f: ItemForecast, periods: number): Float64Array {
  const bt = f.backtest;
  if (!bt) return new Float64Array(0);
  const whole = Math.floor(periods);
  const frac = periods - whole;
  const need = whole + (frac > 0 ? 1 : 0);
  if (need > bt.steps || need === 0) return new Float64Array(0);
  const out: number[] = [];
  for (let o = 0; o < bt.origins; o++) {
    let s = 0;
    let ok = true;
    for (let j = 0; j < need; j++) {
      const e = bt.errors[o * bt.steps + j]!;
      if (Number.isNaN(e)) {
        ok = false;
        break;
      }
      s += j < whole ? e : frac * e;
    }
    if (ok) out.push(s);
  }
  return Float64Array.from(out);
}

/** Draws of the bootstrap of lead-time demand. */
const BOOTSTRAP_DRAWS = 4000;

/** xorshift32 with a fixed seed: the same item always gets the same plan. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * The quantile p of the demand over `periods` (fractional) periods.
 *
 * Lead-time sums of the backtest overlap, so even 100 origins hold only a
 * handful of independent lead times: too few for a 95 % quantile. Instead the
 * one-step errors (one per origin) are resampled: sums of `periods` centred
 * errors drawn with replacement give the shape of the lead-time error (its
 * skew for intermittent demand, its discreteness for small counts; Efron &
 * Tibshirani 1993), widened by the ratio of the spread of the observed
 * lead-time sums to the resampled one when errors are correlated (a level the
 * forecast misses moves all steps together), and shifted by the one-step bias
 * times the lead time (a model that under-forecasts, as SBA does by design).
 */
export function demandQuantile(f: ItemForecast, periods: number, p: number): number {
  const mu = sumForecast(f.mean, periods);
  const bt = f.backtest;
  const oneStep: number[] = [];
  if (bt) for (let o = 0; o < bt.origins; o++) if (!Number.isNaN(bt.errors[o * bt.steps]!)) oneStep.push(bt.errors[o * bt.steps]!);
  if (oneStep.length < 10) {
    // Too short a backtest: independent steps with the per-step spreads, normal.
    let v = 0;
    const whole = Math.ceil(periods);
    for (let j = 0; j < whole; j++) v += f.sigma[Math.min(j, f.sigma.length - 1)]! ** 2;
    return Math.max(0, mu + zQuantile(p) * Math.sqrt(v * (periods / Math.max(1, whole))));
  }
  let bias = 0;
  for (const e of oneStep) bias += e / oneStep.length;
  const centred = oneStep.map((e) => e - bias);
  const whole = Math.floor(periods);
  const frac = periods - whole;
  const rnd = xorshift(0x5eed + oneStep.length);
  const sums = new Float64Array(BOOTSTRAP_DRAWS);
  let sm = 0;
  let ss = 0;
  for (let b = 0; b < BOOTSTRAP_DRAWS; b++) {
    let s = 0;
    for (let j = 0; j < whole; j++) s += centred[Math.floor(rnd() * centred.length)]!;
    if (frac > 0) s += frac * centred[Math.floor(rnd() * centred.length)]!;
    sums[b] = s;
    sm += s;
    ss += s * s;
  }
  const bootVar = ss / BOOTSTRAP_DRAWS - (sm / BOOTSTRAP_DRAWS) ** 2;
  const observed = cumulativeErrors(f, periods);
  let widen = 1;
  if (observed.length >= 10 && bootVar > 0) {
    let om = 0;
    for (const e of observed) om += e / observed.length;
    let ov = 0;
    for (const e of observed) ov += (e - om) ** 2 / (observed.length - 1);
    widen = Math.sqrt(Math.max(1, ov / bootVar));
  }
  return Math.max(0, mu + bias * periods + widen * quantile(sums, p));
}

export function planItem(f: ItemForecast, o: PlanOptions): ItemPlan {
  const review = o.reviewPeriodDays ?? 7;
  const leadPeriods = o.leadTimeDays / o.periodDays;
  const cyclePeriods = (o.leadTimeDays + review) / o.periodDays;
  let horizonMean = 0;
  for (const v of f.mean) horizonMean += v / f.mean.length;
  const avgDailyDemand = horizonMean / o.periodDays;
  const leadTimeDemand = sumForecast(f.mean, leadPeriods);
  // Without any demand in the history there is nothing to keep in stock.
  const noDemand = f.demandClass === 'no_demand';
  const reorderPoint = noDemand ? 0 : demandQuantile(f, leadPeriods, o.serviceLevel);
  const orderUpTo = noDemand ? 0 : Math.max(reorderPoint, demandQuantile(f, cyclePeriods, o.serviceLevel));
  const safetyStock = reorderPoint - leadTimeDemand;
  const onHand = o.onHand;

  let status: PlanStatus;
  if (noDemand || (horizonMean <= 0 && o.historyPeriods >= MIN_HISTORY_PERIODS)) status = 'no_demand';
  else if (o.historyPeriods < MIN_HISTORY_PERIODS) status = 'too_short';
  else if (onHand === null) status = 'ok';
  else if (onHand <= reorderPoint) status = 'reorder_now';
  else if (onHand > orderUpTo + sumForecast(f.mean, cyclePeriods)) status = 'overstock';
  else status = 'ok';

  const orderQuantity = status === 'reorder_now' && onHand !== null ? Math.max(0, orderUpTo - onHand) : 0;
  let stockoutDate: string | null = null;
  let daysOfCover: number | null = null;
  if (onHand !== null && avgDailyDemand > 0) {
    daysOfCover = onHand / avgDailyDemand;
    const days = daysToDeplete(f.mean, o.periodDays, onHand);
    stockoutDate = Number.isFinite(days) && days < 365_000 ? isoDate(dayNumber(o.asOf) + 1 + Math.floor(days)) : null;
  }
  return {
    onHand,
    demandClass: f.demandClass,
    model: f.model,
    backtestMase: f.backtest && Number.isFinite(f.backtest.mase) ? f.backtest.mase : null,
    avgDailyDemand,
    leadTimeDays: o.leadTimeDays,
    leadTimeDemand,
    safetyStock,
    reorderPoint,
    orderUpTo,
    orderQuantity,
    stockoutDate,
    daysOfCover,
    status,
  };
}

/** Days until the forecast demand uses up `stock` (beyond the horizon at the horizon's last rate). */
function daysToDeplete(mean: Float64Array, periodDays: number, stock: number): number {
  let left = stock;
  let days = 0;
  for (let j = 0; j < mean.length; j++) {
    const d = mean[j]!;
    if (d >= left && d > 0) return days + (left / d) * periodDays;
    left -= d;
    days += periodDays;
  }
  const last = mean[mean.length - 1] ?? 0;
  return last > 0 ? days + (left / last) * periodDays : Infinity;
}
