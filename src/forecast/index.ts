/**
 * The forecasting core: pure functions over number arrays, no database, no
 * HTTP, no configuration. See README.md beside this file.
 */
export { ForecastInputError } from './errors.js';
export { prepareSeries, detectFrequency, addPeriods, NOMINAL_PERIOD, PERIOD_DAYS } from './series.js';
export type { Frequency, Observation, PreparedSeries, PrepareOptions } from './series.js';
export { classifyDemand, ADI_CUTOFF, CV2_CUTOFF } from './classify.js';
export type { DemandClass, DemandProfile } from './classify.js';
export { forecastSeries, backtestWindow } from './forecast.js';
export type { ForecastOptions, ItemForecast, Interval, Backtest } from './forecast.js';
export { planItem, demandQuantile, MIN_HISTORY_PERIODS } from './plan.js';
export type { ItemPlan, PlanOptions, PlanStatus } from './plan.js';
export { forecastItem, DEFAULT_HORIZON, DEFAULT_LEAD_TIME_DAYS, DEFAULT_SERVICE_LEVEL } from './item.js';
export type { ItemInput, ItemResult, ItemSettings, ItemForecastRow } from './item.js';
export { forecastItems, createForecastPool } from './batch.js';
export type { BatchOptions, ForecastPool } from './batch.js';
export { naive, seasonalNaive } from './models/naive.js';
export { ets, ses, holt, dampedHolt, autoEts, fitEts, candidateForms } from './models/ets.js';
export type { EtsForm, EtsFit, EtsParameters } from './models/ets.js';
export { theta, optimizedTheta, dynamicOptimizedTheta, autoTheta } from './models/theta.js';
export { croston, sba, tsb, adida, imapa } from './models/intermittent.js';
export type { ModelSpec, FittedModel } from './models/model.js';
