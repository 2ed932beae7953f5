import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { OrgId } from '../auth/index.js';
import { UserError } from '../errors/index.js';
import { PLAN_STATUSES } from '../forecasts/index.js';
import type { Operation } from './operations.js';

/**
 * The pipeline manager's commands (`sluice pipeline ...`, the second seed's
 * `manage_enhanced_pipeline`), as operations: run in-process or handed to
 * the running embedded server, like the other operations.
 */
const define = <I extends z.ZodType, O>(op: Operation<I, O>): Operation<I, O> => op;

const Table = z.string().trim().min(1).max(100);

export const pipelineStatusOperation = define({
  name: 'pipeline.status',
  input: z.object({ orgId: OrgId.optional() }),
  auditAction: undefined,
  async run(services, input) {
    const orgs = input.orgId ? [await services.orgs.get(input.orgId)] : await services.orgs.list();
    return { orgs: await Promise.all(orgs.map(async (org) => ({ name: org.name, ...(await services.orgPipelines.pipelineStatus(org.id)) }))) };
  },
  auditSubject: (input) => ({ orgId: input.orgId ?? null, target: null }),
});

export const triggerIngestOperation = define({
  name: 'pipeline.trigger_ingest',
  input: z.object({ orgId: OrgId, table: Table, fileId: z.string().min(1).max(100) }),
  auditAction: 'pipeline.trigger_ingest',
  async run(services, input, actor) {
    return services.orgPipelines.triggerIngest(input.orgId, { table: input.table, file_id: input.fileId, triggered_by: 'cli' }, actor);
  },
  auditSubject: (input, output) => ({ orgId: input.orgId, target: output ? `run:${output.runId}` : `file:${input.fileId}` }),
});

export const triggerLoadOperation = define({
  name: 'pipeline.trigger_load',
  input: z.object({ orgId: OrgId, table: Table }),
  auditAction: 'pipeline.trigger_load',
  async run(services, input, actor) {
    return services.orgPipelines.triggerLoad(input.orgId, { table: input.table, triggered_by: 'cli' }, actor);
  },
  auditSubject: (input, output) => ({ orgId: input.orgId, target: output ? `run:${output.runId}` : `table:${input.table}` }),
});

export const triggerForecastOperation = define({
  name: 'pipeline.trigger_forecast',
  input: z.object({ clientId: OrgId, table: Table.optional() }),
  auditAction: 'pipeline.trigger_forecast',
  async run(services, input, actor) {
    await services.orgs.get(input.clientId);
    return services.orgPipelines.triggerForecast(input.clientId, { table: input.table, triggered_by: 'cli' }, actor);
  },
  auditSubject: (input, output) => ({ orgId: input.clientId, target: output ? `run:${output.runId}` : input.table ? `table:${input.table}` : null }),
});

/** `sluice pipeline forecast`: a table's published plan. */
export const forecastPlanOperation = define({
  name: 'pipeline.forecast',
  input: z.object({
    orgId: OrgId,
    table: Table,
    status: z.enum(PLAN_STATUSES).optional(),
    q: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100_000).default(50),
    offset: z.number().int().min(0).default(0),
  }),
  auditAction: undefined,
  async run(services, input) {
    await services.orgs.get(input.orgId);
    return services.forecasts.plan(input.orgId, input.table, { status: input.status, q: input.q, limit: input.limit, offset: input.offset });
  },
  auditSubject: (input) => ({ orgId: input.orgId, target: `table:${input.table}` }),
});

export const qualityOperation = define({
  name: 'pipeline.quality',
  input: z.object({ orgId: OrgId, table: Table, days: z.number().int().min(1).max(3650).default(7) }),
  auditAction: undefined,
  async run(services, input) {
    await services.orgs.get(input.orgId);
    return { org_id: input.orgId, table: input.table, days: input.days, reports: await services.quality.list(input.orgId, { table: input.table, days: input.days }) };
  },
  auditSubject: (input) => ({ orgId: input.orgId, target: `table:${input.table}` }),
});

export const auditTrailOperation = define({
  name: 'pipeline.audit',
  input: z.object({ orgId: OrgId, limit: z.number().int().min(1).max(1000).default(50) }),
  auditAction: undefined,
  async run(services, input) {
    await services.orgs.get(input.orgId);
    await services.audit.flush();
    return { org_id: input.orgId, events: await services.audit.list(input.orgId, { limit: input.limit }) };
  },
  auditSubject: (input) => ({ orgId: input.orgId, target: null }),
});

/** `sluice pipeline ingest-file`: a local file uploaded as if through the API, then ingested. */
export const ingestFileOperation = define({
  name: 'pipeline.ingest_file',
  input: z.object({ orgId: OrgId, table: Table, path: z.string().min(1), sheet: z.string().trim().min(1).max(200).optional(), inventory: z.boolean().optional() }),
  auditAction: 'file.upload',
  async run(services, input, actor) {
    const full = path.resolve(input.path);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) throw new UserError('not_found', `no file at ${full}`);
    await services.orgs.get(input.orgId);
    const { file, duplicate } = await services.files.store(input.orgId, null, { table: input.table, filename: path.basename(full), sheet: input.sheet, stream: createReadStream(full) });
    // As the upload field inventory=true: the table's forecast on, its columns detected at the load.
    if (input.inventory !== undefined) await services.tableSettings.set(input.orgId, input.table, { inventory: input.inventory });
    const run = await services.orgPipelines.triggerIngest(input.orgId, { table: input.table, file_id: file.fileId, triggered_by: 'cli' }, actor);
    return { file, duplicate, run };
  },
  auditSubject: (input, output) => ({ orgId: input.orgId, target: output ? `file:${output.file.fileId}` : `path:${input.path}` }),
});

export const PIPELINE_OPERATIONS = [
  pipelineStatusOperation,
  triggerIngestOperation,
  triggerLoadOperation,
  triggerForecastOperation,
  forecastPlanOperation,
  qualityOperation,
  auditTrailOperation,
  ingestFileOperation,
];
