export { measureTable, QualityMetrics, QualityReport, QualityStore } from './quality.js';
