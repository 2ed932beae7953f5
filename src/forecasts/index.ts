/**
 * Forecasts of an organisation's tables (issue 15): settings with column
 * detection, reading a table's history item by item, the result tables and
 * their summary. The runs are forecast_inventory_dag (src/pipelines). See README.md.
 */
export { ForecastsService, FORECAST_DAG, forecastProgress, runCovers, valuesOf, type ForecastSettingsView, type ForecastTableSummary, type PlanQuery } from './forecasts.service.js';
export { ForecastSettingsInput, FREQUENCIES, resolveSettings, requireResolved, type ResolvedSettings, type StoredSettings, type ResolvedColumn } from './settings.js';
export { detectColumns, type TableColumn } from './detect.js';
export { parseDateText, type NumericOrder } from './dates.js';
export { emptyCounts, itemKey, readHistory, surveyTable, type HistoryCounts, type ItemHistory, type TableSurvey } from './history.js';
export {
  emptyStatusCounts,
  forecastColumns,
  forecastTable,
  PLAN_FIELDS,
  PLAN_STATUSES,
  planColumns,
  planTable,
  recordResult,
  type PlanStatus,
  type PublishedResult,
  type StatusCounts,
} from './results.js';
