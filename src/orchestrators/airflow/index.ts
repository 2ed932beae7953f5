export {
  AirflowClient,
  parseAirflowUrl,
  type AirflowApiVersion,
  type AirflowClientOptions,
  type AirflowDag,
  type AirflowDagRun,
  type AirflowHealth,
  type AirflowImportError,
  type AirflowLogLine,
  type AirflowTaskInstance,
  type AirflowTaskLog,
  type AirflowVersionInfo,
  type ListDagsOptions,
  type ListRunsOptions,
  type TaskLogOptions,
  type TriggerRunOptions,
} from './client.js';
export { DAG_RUN_STATES } from './client.schema.js';
