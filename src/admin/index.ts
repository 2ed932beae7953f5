export {
  OPERATIONS,
  runOperation,
  migrateOperation,
  createOrgOperation,
  createUserOperation,
  createTokenOperation,
  triggerRunOperation,
  getRunOperation,
  type Operation,
} from './operations.js';
export { generateControlSecret, readControlFile, writeControlFile, removeControlFile, type ControlFile } from './control-file.js';
export {
  PIPELINE_OPERATIONS,
  pipelineStatusOperation,
  triggerIngestOperation,
  triggerLoadOperation,
  triggerForecastOperation,
  forecastPlanOperation,
  qualityOperation,
  auditTrailOperation,
  ingestFileOperation,
} from './pipeline.operations.js';
export { AIRFLOW_OPERATIONS, airflowStatusOperation, airflowSyncOperation } from './airflow.operations.js';
