export { RetentionService, type RetentionOptions, type SweepResult } from './retention.service.js';
