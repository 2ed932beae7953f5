import { z } from 'zod';
import { ConnectionId } from '../connections/index.js';
import { MissedRunPolicy, OverlapPolicy, RunState, ScheduleType, TaskState, TriggerKind } from '../engine/index.js';

/**
 * The first seed's `workflowConfig`: a connection as its app sent it, with
 * `name` and `destination` optional (derived from the connection id).
 * Validated as a connection once completed; field errors are named
 * `workflowConfig.<field>`.
 */
export const WorkflowConfig = z
  .object({
    connectionId: ConnectionId.optional(),
    name: z.string().optional(),
    apiConfig: z.record(z.string(), z.unknown()),
    parameters: z.array(z.unknown()).optional(),
    fieldMappings: z.array(z.unknown()).optional(),
    destination: z.record(z.string(), z.unknown()).optional(),
    incremental: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type WorkflowConfig = z.infer<typeof WorkflowConfig>;

export const ExecuteRunBody = z.object({
  connectionId: ConnectionId.optional(),
  workflowConfig: WorkflowConfig.optional(),
  conf: z.record(z.string(), z.unknown()).optional(),
});
export type ExecuteRunBody = z.infer<typeof ExecuteRunBody>;

export const ScheduleBody = z.object({
  connectionId: ConnectionId.optional(),
  scheduleType: z.string().optional(),
  cronExpression: z.string().nullish(),
  timezone: z.string().nullish(),
  workflowConfig: WorkflowConfig.optional(),
  paused: z.boolean().optional(),
  overlapPolicy: OverlapPolicy.optional(),
  missedRunPolicy: MissedRunPolicy.optional(),
  missedRunWindowSeconds: z.number().int().min(60).max(366 * 24 * 3600).optional(),
  maxActiveRuns: z.number().int().min(1).max(100).optional(),
});
export type ScheduleBody = z.infer<typeof ScheduleBody>;

export const SchedulePatch = ScheduleBody.omit({ connectionId: true, workflowConfig: true });
export type SchedulePatch = z.infer<typeof SchedulePatch>;

export const TaskInstance = z.object({
  taskId: z.string(),
  state: TaskState,
  tryNumber: z.number().int(),
  maxAttempts: z.number().int(),
  upstream: z.array(z.string()),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  rowsIn: z.number().nullable(),
  rowsOut: z.number().nullable(),
  rowsRejected: z.number().nullable(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  output: z.record(z.string(), z.unknown()).nullable(),
  progress: z.record(z.string(), z.unknown()).nullable().describe('The last progress a running task reported: rows, bytes, totalBytes, at'),
});

/** A run as `GET /api/runs/:id` answers it (CONTRACT.md). */
export const Run = z.object({
  runId: z.string(),
  dagId: z.string(),
  orgId: z.string(),
  pipeline: z.string(),
  connectionId: z.string().nullable(),
  scheduleId: z.string().nullable(),
  state: RunState,
  trigger: TriggerKind,
  conf: z.record(z.string(), z.unknown()),
  fireAt: z.string().nullable(),
  queuedAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  cancelRequested: z.boolean(),
  orchestrator: z.string(),
  externalId: z.string().nullable(),
  error: z.string().nullable(),
  tasks: z.array(TaskInstance),
  externalUrl: z.string().optional().describe("The run's page in Airflow's UI, when Airflow runs it"),
});

export const Schedule = z.object({
  scheduleId: z.string(),
  orgId: z.string(),
  connectionId: z.string(),
  dagId: z.string(),
  scheduleType: ScheduleType,
  cronExpression: z.string(),
  timezone: z.string(),
  description: z.string().describe('The CRON expression in plain English'),
  paused: z.boolean(),
  overlapPolicy: OverlapPolicy,
  missedRunPolicy: MissedRunPolicy,
  missedRunWindowSeconds: z.number().int(),
  maxActiveRuns: z.number().int(),
  orchestrator: z.enum(['builtin', 'airflow']),
  lastFireAt: z.string().nullable().describe('When the schedule last fired: the fire time of its latest run; null until it fires'),
  nextFireAt: z.string().nullable(),
  nextRuns: z.array(z.string()).describe('The next five fire times (ISO, UTC)'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Schedule = z.infer<typeof Schedule>;

/** `GET /api/scheduler/describe`: a schedule's timing as it would be saved, described. */
export const ScheduleDescription = z.object({
  scheduleType: ScheduleType,
  cronExpression: z.string().describe('The expression that would fire, normalised (a preset fills it in)'),
  timezone: z.string(),
  description: z.string().describe('In plain words, e.g. "At 09:00 AM, Monday through Friday"'),
  nextRuns: z.array(z.string()).describe('The next five fire times (ISO, UTC)'),
});
export type ScheduleDescription = z.infer<typeof ScheduleDescription>;

export const LogLine = z.object({
  id: z.number().int(),
  taskId: z.string(),
  tryNumber: z.number().int(),
  at: z.string(),
  level: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).nullable(),
});
