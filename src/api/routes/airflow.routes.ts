import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RunState } from '../../engine/index.js';
import type { DagRun } from '../../runs/index.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse } from '../schemas.js';

const Triggered = z.object({ dag_id: z.string(), dag_run_id: z.string(), state: RunState, conf: z.record(z.string(), z.unknown()) });

const DagRunSchema: z.ZodType<DagRun> = z.object({
  dag_id: z.string(),
  dag_run_id: z.string(),
  state: RunState,
  conf: z.record(z.string(), z.unknown()),
  trigger: z.enum(['schedule', 'manual', 'api', 'upstream', 'airflow']),
  queued_at: z.string(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  error: z.string().nullable(),
  tasks: z.array(
    z.object({
      task_id: z.string(),
      state: z.string(),
      try_number: z.number().int(),
      start_date: z.string().nullable(),
      end_date: z.string().nullable(),
      rows_in: z.number().nullable(),
      rows_out: z.number().nullable(),
      rows_rejected: z.number().nullable(),
      error: z.string().nullable(),
    }),
  ),
}) as z.ZodType<DagRun>;

const TableStatus = z.object({
  table: z.string(),
  row_count: z.number(),
  rejected_count: z.number(),
  updated_at: z.string().nullable(),
  freshness_seconds: z.number().nullable(),
  last_ingest: DagRunSchema.nullable(),
  last_load: DagRunSchema.nullable(),
  last_forecast: DagRunSchema.nullable(),
  connections: z.array(z.string()).describe('connections (REST sources) loading into the table: their etl_workflow runs count as its ingest and load'),
  failures: z.number().int(),
  files: z.object({ total: z.number().int(), landed: z.number().int(), loaded: z.number().int(), failed: z.number().int() }),
});

const Id = z.union([z.string(), z.number()]).transform(String);

/**
 * The second seed's `/api/airflow/...` endpoints, kept as they were: they
 * trigger and report the org-aware pipelines whichever orchestrator runs
 * them (the builtin engine, or Airflow when configured).
 */
export const airflowRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { orgPipelines } = services;
  const triggered = (run: { dagId: string; runId: string; state: z.infer<typeof RunState>; conf: Record<string, unknown> }) => ({ dag_id: run.dagId, dag_run_id: run.runId, state: run.state, conf: run.conf });

  app.post(
    '/api/airflow/trigger/enhanced-ingest/',
    {
      config: { auth: 'editor', audit: 'pipeline.trigger_ingest', bodyErrorCode: 'invalid_config' },
      schema: {
        tags: ['pipelines'],
        summary: 'Trigger enhanced_org_aware_ingest_dag for an uploaded file',
        body: z.object({ org_id: Id.optional(), table: z.string().min(1).max(100), file_id: z.string().min(1).max(100), user_id: Id.nullish() }),
        response: { 200: Triggered, ...authErrors, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const p = request.principal!;
      const run = await orgPipelines.triggerIngest(p.orgId, { table: request.body.table, file_id: request.body.file_id, user_id: request.body.user_id ?? p.userId }, p.actor);
      request.audit.target = `run:${run.runId}`;
      return triggered(run);
    },
  );

  app.post(
    '/api/airflow/trigger/mongo-to-postgres/',
    {
      config: { auth: 'editor', audit: 'pipeline.trigger_load', bodyErrorCode: 'invalid_config' },
      schema: {
        tags: ['pipelines'],
        summary: "Trigger enhanced_mongo_to_postgres_dag: load a table's landed files into its typed table",
        body: z.object({ org_id: Id.optional(), table: z.string().min(1).max(100), triggered_by: z.string().max(100).optional() }),
        response: { 200: Triggered, ...authErrors, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const p = request.principal!;
      const run = await orgPipelines.triggerLoad(p.orgId, { table: request.body.table, triggered_by: request.body.triggered_by }, p.actor);
      request.audit.target = `run:${run.runId}`;
      return triggered(run);
    },
  );

  app.post(
    '/api/airflow/trigger/forecast-inventory/',
    {
      config: { auth: 'editor', audit: 'pipeline.trigger_forecast', bodyErrorCode: 'invalid_config' },
      schema: {
        tags: ['pipelines'],
        summary: 'Trigger forecast_inventory_dag: forecast one table, or every table of the organisation whose forecast is on',
        description:
          'One run forecasts `table`, or (without it) every loaded table whose forecast is on, and publishes `<table>__forecast` and `<table>__plan`. ' +
          '`client_id` (the second seed\'s name) or `org_id`, when sent, must be your organisation. 409 `forecast_not_enabled` when the forecast is off; 404 for a table the organisation does not have; 422 `forecast_column_invalid` (naming the setting) when the named table\'s columns cannot serve.',
        body: z.object({ client_id: Id.optional(), org_id: Id.optional(), table: z.string().min(1).max(63).optional(), triggered_by: z.string().max(100).optional() }),
        response: { 200: Triggered, ...authErrors, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const p = request.principal!;
      const run = await orgPipelines.triggerForecast(p.orgId, { table: request.body.table, triggered_by: request.body.triggered_by }, p.actor);
      request.audit.target = `run:${run.runId}`;
      return triggered(run);
    },
  );

  app.get(
    '/api/airflow/status/:dagId/',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['pipelines'],
        summary: "A DAG's latest runs in the organisation",
        params: z.object({ dagId: z.string().min(1).max(300) }),
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(25) }),
        response: { 200: z.object({ dag_id: z.string(), dag_runs: z.array(DagRunSchema) }), ...authErrors, 404: ErrorResponse },
      },
    },
    async (request) => orgPipelines.dagStatus(request.principal!.orgId, request.params.dagId, request.query.limit),
  );

  app.get(
    '/api/airflow/status/:dagId/:dagRunId/',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['pipelines'],
        summary: 'One DAG run with its tasks',
        params: z.object({ dagId: z.string().min(1).max(300), dagRunId: z.string().min(1).max(300) }),
        response: { 200: DagRunSchema, ...authErrors, 404: ErrorResponse },
      },
    },
    async (request) => orgPipelines.runStatus(request.principal!.orgId, request.params.dagId, request.params.dagRunId),
  );

  app.get(
    '/api/airflow/pipeline-status/',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['pipelines'],
        summary: "The organisation's pipelines per table: last ingest, load and forecast, row counts, freshness, failures",
        response: {
          200: z.object({
            org_id: z.string(),
            orchestrator: z.string(),
            tables: z.array(TableStatus),
            totals: z.object({ tables: z.number(), rows: z.number(), rejected: z.number(), failures: z.number(), active_runs: z.number() }),
          }),
          ...authErrors,
        },
      },
    },
    async (request) => orgPipelines.pipelineStatus(request.principal!.orgId),
  );
};
