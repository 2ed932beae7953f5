export { RunsService } from './runs.service.js';
export { SchedulesService, NEXT_RUNS } from './schedules.service.js';
export { ensureConnection } from './workflow-config.js';
export * from './runs.schema.js';
export { OrgPipelinesService, dagRunOf, type DagRun, type TableStatus } from './org-pipelines.service.js';
export { AirflowTasksService, AirflowTaskAttempt, AirflowTaskCall } from './airflow-tasks.service.js';
