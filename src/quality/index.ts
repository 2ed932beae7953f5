export { measureTable, QualityStore, type QualityMetrics, type QualityReport } from './quality.js';
