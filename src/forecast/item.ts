/**
 * One item from rows to forecast and plan: the unit of work of the batch
 * API and of its workers. Plain data in and out, so it crosses a worker
 * boundary as a structured clone.
 */
import { ForecastInputError } from './errors.js';
import { forecastSeries } from './forecast.js';
import { planItem, type ItemPlan } from './plan.js';
import { addPeriods, prepareSeries, type Frequency, type Observation } from './series.js';

export interface ItemInput {
  /** The item's key (the values of its item columns, joined by the caller). */
  key: string;
  rows: Observation[];
  /** Overrides the batch's lead time for this item. */
  leadTimeDays?: number;
}

export interface ItemSettings {
  /** Periods to forecast; default: 2 seasons or 14 periods for daily, 13 weekly, 12 monthly, 8 quarterly, 5 yearly. */
  horizon?: number;
  frequency?: Frequency | 'auto';
  leadTimeDays?: number;
  reviewPeriodDays?: number;
  serviceLevel?: number;
}

export interface ItemForecastRow {
  /** First day of the period (YYYY-MM-DD). */
  period: string;
  forecast: number;
  /** The 80 % interval. */
  lower: number;
  upper: number;
  /** The bounds of the service level's central interval (e.g. 95 %). */
  lowerService: number;
  upperService: number;
}

export interface ItemResult {
  key: string;
  frequency: Frequency;
  seasonPeriod: number;
  /** Periods of history used (after the leading zeros). */
  historyPeriods: number;
  /** Periods whose demand was estimated because the item was out of stock. */
  estimatedPeriods: number;
  forecast: ItemForecastRow[];
  plan: ItemPlan;
}

export const DEFAULT_HORIZON: Record<Frequency, number> = { day: 28, week: 13, month: 12, quarter: 8, year: 5 };
export const DEFAULT_LEAD_TIME_DAYS = 7;
export const DEFAULT_SERVICE_LEVEL = 0.95;

export function forecastItem(input: ItemInput, settings: ItemSettings = {}): ItemResult {
  const series = prepareSeries(input.rows, { frequency: settings.frequency ?? 'auto' });
  const horizon = settings.horizon ?? DEFAULT_HORIZON[series.frequency];
  if (!(Number.isInteger(horizon) && horizon >= 1 && horizon <= 1000)) throw new ForecastInputError('horizon', `horizon must be a whole number of periods from 1 to 1000, got ${horizon}`);
  const serviceLevel = settings.serviceLevel ?? DEFAULT_SERVICE_LEVEL;
  if (!(serviceLevel > 0.5 && serviceLevel < 1)) throw new ForecastInputError('serviceLevel', `serviceLevel must be between 0.5 and 1, got ${serviceLevel}`);
  const leadTimeDays = input.leadTimeDays ?? settings.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS;
  if (!(leadTimeDays >= 0)) throw new ForecastInputError('leadTimeDays', `leadTimeDays must be 0 or more, got ${leadTimeDays}`);
  const reviewPeriodDays = settings.reviewPeriodDays ?? 7;
  if (!(reviewPeriodDays >= 0)) throw new ForecastInputError('reviewPeriodDays', `reviewPeriodDays must be 0 or more, got ${reviewPeriodDays}`);
  const backtestSteps = Math.ceil((leadTimeDays + reviewPeriodDays) / series.periodDays);
  const y = series.values;
  const f = forecastSeries(y.length ? y : new Float64Array(1), {
    horizon,
    seasonPeriod: series.seasonPeriod,
    levels: [0.8, serviceLevel],
    backtestSteps,
    yearly: series.frequency === 'day',
  });
  const plan = planItem(f, {
    leadTimeDays,
    reviewPeriodDays,
    serviceLevel,
    periodDays: series.periodDays,
    onHand: series.onHand,
    asOf: series.lastDate || '1970-01-01',
    historyPeriods: y.length,
  });
  const [i80, iService] = f.intervals;
  const forecast: ItemForecastRow[] = [];
  for (let j = 0; j < horizon; j++) {
    forecast.push({
      period: series.start ? addPeriods(series.start, series.frequency, y.length + j) : '',
      forecast: f.mean[j]!,
      lower: i80!.lower[j]!,
      upper: i80!.upper[j]!,
      lowerService: iService!.lower[j]!,
      upperService: iService!.upper[j]!,
    });
  }
  return { key: input.key, frequency: series.frequency, seasonPeriod: series.seasonPeriod, historyPeriods: y.length, estimatedPeriods: series.estimated, forecast, plan };
}
