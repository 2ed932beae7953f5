/**
 * The parts of Airflow's REST answers the client reads, as zod schemas that
 * accept both API versions (3.x `/api/v2`, 2.x `/api/v1`) and turn them into
 * one camelCase shape. Unknown fields are dropped; fields a version lacks are
 * `null` (v1 has no `is_stale`, v2 no `is_active`). Shapes follow Airflow
 * 3.3.2's answers and the 2.10 OpenAPI spec (shared/reference/airflow.md §1).
 */
import { z } from 'zod';

const text = z.string().nullish().transform((v) => v ?? null);
const num = z.number().nullish().transform((v) => v ?? null);

/** `GET /api/v2/version`, `GET /api/v1/version`. */
export const versionSchema = z
  .object({ version: z.string(), git_version: text })
  .transform((v) => ({ version: v.version, gitVersion: v.git_version }));

const componentSchema = z
  .object({ status: text })
  .nullish()
  .transform((c) => (c?.status === 'healthy' || c?.status === 'unhealthy' ? c.status : null));

/** `GET /api/v2/monitor/health`, `GET /api/v1/health`. The status is always 200; the body says. */
export const healthSchema = z
  .object({
    metadatabase: componentSchema,
    scheduler: componentSchema,
    triggerer: componentSchema,
    dag_processor: componentSchema,
  })
  .transform((h) => ({
    metadatabase: h.metadatabase,
    scheduler: h.scheduler,
    triggerer: h.triggerer,
    dagProcessor: h.dag_processor,
  }));

/** `POST /auth/token` (3.x). The docs say `jwt_token`; the code answers `access_token`. */
export const tokenSchema = z.object({ access_token: z.string().min(1) });

const tagsSchema = z
  .array(z.union([z.object({ name: z.string() }), z.string()]))
  .nullish()
  .transform((tags) => (tags ?? []).map((t) => (typeof t === 'string' ? t : t.name)));

export const dagSchema = z
  .object({
    dag_id: z.string(),
    is_paused: z.boolean().nullish(),
    is_stale: z.boolean().nullish(),
    is_active: z.boolean().nullish(),
    fileloc: text,
    relative_fileloc: text,
    file_token: text,
    has_import_errors: z.boolean().nullish(),
    last_parsed_time: text,
    tags: tagsSchema,
  })
  .transform((d) => ({
    dagId: d.dag_id,
    isPaused: d.is_paused ?? null,
    /** Airflow no longer finds the DAG in its files (v2 `is_stale`, v1 `!is_active`). */
    isStale: d.is_stale ?? (d.is_active == null ? null : !d.is_active),
    fileloc: d.fileloc,
    relativeFileloc: d.relative_fileloc,
    /** Needed by `PUT /api/v2/parseDagFile/{file_token}`. */
    fileToken: d.file_token,
    hasImportErrors: d.has_import_errors ?? null,
    lastParsedTime: d.last_parsed_time,
    tags: d.tags,
  }));

export const dagCollectionSchema = z.object({ dags: z.array(dagSchema), total_entries: z.number() });

export const DAG_RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;

export const dagRunSchema = z
  .object({
    dag_run_id: z.string(),
    dag_id: z.string(),
    // Unknown future states are kept as strings rather than failing the whole answer.
    state: z.string(),
    run_type: text,
    logical_date: text,
    execution_date: text,
    run_after: text,
    queued_at: text,
    start_date: text,
    end_date: text,
    conf: z.record(z.string(), z.unknown()).nullish(),
    note: text,
  })
  .transform((r) => ({
    runId: r.dag_run_id,
    dagId: r.dag_id,
    state: r.state,
    runType: r.run_type,
    logicalDate: r.logical_date ?? r.execution_date,
    runAfter: r.run_after,
    queuedAt: r.queued_at,
    startDate: r.start_date,
    endDate: r.end_date,
    conf: r.conf ?? {},
    note: r.note,
  }));

export const dagRunCollectionSchema = z.object({ dag_runs: z.array(dagRunSchema), total_entries: z.number() });

export const taskInstanceSchema = z
  .object({
    task_id: z.string(),
    dag_id: z.string(),
    dag_run_id: text,
    map_index: z.number().nullish(),
    // null or "none" while not yet scheduled.
    state: text,
    try_number: z.number().nullish(),
    max_tries: num,
    start_date: text,
    end_date: text,
    duration: num,
    operator: text,
    hostname: text,
  })
  .transform((t) => ({
    taskId: t.task_id,
    dagId: t.dag_id,
    runId: t.dag_run_id,
    mapIndex: t.map_index ?? -1,
    state: t.state === 'none' ? null : t.state,
    tryNumber: t.try_number ?? 0,
    maxTries: t.max_tries,
    startDate: t.start_date,
    endDate: t.end_date,
    durationSeconds: t.duration,
    operator: t.operator,
    hostname: t.hostname,
  }));

export const taskInstanceCollectionSchema = z.object({ task_instances: z.array(taskInstanceSchema), total_entries: z.number() });

/** `GET /dags/{dag_id}/tasks`: the tasks of a parsed DAG, with their downstream tasks. */
export const dagTaskCollectionSchema = z
  .object({ tasks: z.array(z.looseObject({ task_id: z.string(), downstream_task_ids: z.array(z.string()).nullish() })) })
  .transform((c) => c.tasks.map((t) => ({ taskId: t.task_id, downstream: [...(t.downstream_task_ids ?? [])].sort() })));

export const importErrorSchema = z
  .object({
    import_error_id: z.number(),
    filename: z.string(),
    stack_trace: z.string(),
    timestamp: text,
    bundle_name: text,
  })
  .transform((e) => ({
    id: e.import_error_id,
    /** Relative to the bundle (DAGs folder) in 3.x; absolute in 2.x. */
    filename: e.filename,
    stackTrace: e.stack_trace,
    timestamp: e.timestamp,
    bundleName: e.bundle_name,
  }));

export const importErrorCollectionSchema = z.object({ import_errors: z.array(importErrorSchema), total_entries: z.number() });

/** One structured log message of 3.x (`StructuredLogMessage`): `event` plus whatever the logger added. */
const structuredLogSchema = z.looseObject({
  event: z.unknown(),
  timestamp: text,
  level: text,
  logger: text,
});

/**
 * Task logs: 3.x answers `content` as a list of structured messages (or plain
 * strings); 2.x as one string. Both become lines.
 */
export const taskLogSchema = z
  .object({
    content: z.union([z.string(), z.array(z.union([z.string(), structuredLogSchema]))]),
    continuation_token: text,
  })
  .transform((log) => ({
    lines: toLogLines(log.content),
    continuationToken: log.continuation_token,
  }));

export interface AirflowLogLine {
  timestamp: string | null;
  level: string | null;
  /** The Python logger, e.g. `task.stdout` for what the task printed. */
  logger: string | null;
  text: string;
}

function toLogLines(content: string | Array<string | z.infer<typeof structuredLogSchema>>): AirflowLogLine[] {
  if (typeof content === 'string') {
    return content
      .split(/\r?\n/)
      .filter((line, i, all) => line !== '' || i < all.length - 1)
      .map((line) => ({ timestamp: null, level: null, logger: null, text: line }));
  }
  return content.map((entry) =>
    typeof entry === 'string'
      ? { timestamp: null, level: null, logger: null, text: entry }
      : {
          timestamp: entry.timestamp,
          level: entry.level,
          logger: entry.logger,
          text: typeof entry.event === 'string' ? entry.event : JSON.stringify(entry.event),
        },
  );
}

/** The error body: v2 `{detail}` (a string, an object, or a list of validation issues), v1 RFC 7807 `{title, detail}`. */
export const errorBodySchema = z.looseObject({ detail: z.unknown().optional(), title: z.unknown().optional() });

export type AirflowVersionInfo = z.output<typeof versionSchema>;
export type AirflowHealthComponents = z.output<typeof healthSchema>;
export type AirflowDag = z.output<typeof dagSchema>;
export type AirflowDagRun = z.output<typeof dagRunSchema>;
export type AirflowTaskInstance = z.output<typeof taskInstanceSchema>;
export type AirflowImportError = z.output<typeof importErrorSchema>;
export type AirflowTaskLog = z.output<typeof taskLogSchema>;
