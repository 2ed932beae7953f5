export { Metrics, UNMATCHED_ROUTE, type MetricsOptions } from './metrics.js';
