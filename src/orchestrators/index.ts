export type { Orchestrator } from './orchestrator.js';
export { BuiltinOrchestrator } from './builtin.orchestrator.js';
export { AirflowOrchestrator, STATIC_DAGS, type AirflowOrchestratorOptions } from './airflow/airflow.orchestrator.js';
export { AirflowClient } from './airflow/index.js';
