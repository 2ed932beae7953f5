import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Connection, ConnectionInput, ConnectionPatch, dryRunNextRun, maskConnectionBody, planNextRun, PreviewInput, previewConnection } from '../../connections/index.js';
import { RunState, type RunView } from '../../engine/index.js';
import { ColumnType, RejectedRecord } from '../../mapping/mapping.schema.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse, IdParams } from '../schemas.js';

const Preview = z.object({
  records: z.array(z.record(z.string(), z.unknown())).describe('Mapped records, at most 50'),
  raw: z.array(z.unknown()).describe('The same records as the API sent them'),
  schema: z.array(z.object({ name: z.string(), type: ColumnType, nullable: z.boolean() })),
  requests: z.array(
    z.object({ method: z.string(), url: z.string(), status: z.number().int().nullable(), ms: z.number(), attempt: z.number().int(), error: z.string().optional() }),
  ),
  rejected: z.array(RejectedRecord),
  stopReason: z.string().nullable(),
  recordsPath: z.string().nullable(),
});

/** The latest run of a connection, whatever its state: the list and the connection's page show it (a failure most of all). */
const LatestRun = z
  .object({
    runId: z.string(),
    state: RunState,
    trigger: z.string(),
    queuedAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    error: z.string().nullable(),
  })
  .nullable()
  .describe("The connection's latest run, whatever its state; null when it never ran");
const ConnectionWithRun = Connection.extend({ latestRun: LatestRun });

const latestRunOf = (run: RunView | undefined): z.infer<typeof LatestRun> =>
  run ? { runId: run.runId, state: run.state, trigger: run.trigger, queuedAt: run.queuedAt, startedAt: run.startedAt, endedAt: run.endedAt, error: run.error } : null;

const NextRunAnswer = z.object({
  scheduledAt: z.string().nullable().describe('When the schedule fires next; null without a schedule or while it is paused'),
  context: z.object({ now: z.string(), lastRunAt: z.string().nullable(), cursor: z.union([z.string(), z.number()]).nullable() }),
  request: z.object({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()), body: z.unknown() }),
  pagination: z.string(),
});

const DryRunAnswer = NextRunAnswer.extend({
  read: z.number().int(),
  complete: z.boolean().describe('false when the dry run stopped at its own limit (1,000 records, 20 pages) before the run would'),
  stopReason: z.string().nullable(),
  rows: z.number().int(),
  wouldInsert: z.number().int(),
  wouldUpdate: z.number().int().describe('upsert: rows whose primary key the table holds (or that repeat one read before)'),
  writeMode: z.string(),
  sample: z.array(z.record(z.string(), z.unknown())),
  rejected: z.object({ count: z.number().int(), first: z.array(RejectedRecord) }),
  requests: z.array(z.object({ method: z.string(), url: z.string(), status: z.number().nullable(), ms: z.number(), attempt: z.number(), error: z.string().optional() })),
});

const sourceErrors = { ...authErrors, 404: ErrorResponse, 422: ErrorResponse, 429: ErrorResponse };

/** Connections: the no-code REST sources of the caller's organisation (CONTRACT.md, Connections). */
export const connectionsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { connections, runs } = services;

  app.post(
    '/api/connections',
    {
      config: { auth: 'editor', audit: 'connection.create', bodyErrorCode: 'invalid_config', auditBody: maskConnectionBody },
      schema: { tags: ['connections'], summary: 'Create a connection', body: ConnectionInput, response: { 201: Connection, ...authErrors, 409: ErrorResponse, 422: ErrorResponse } },
    },
    async (request, reply) => {
      const p = request.principal!;
      const created = await connections.create(p.orgId, request.body, p.actor);
      request.audit.target = `connection:${created.id}`;
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api/connections',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['connections'],
        summary: "List the organisation's connections, each with its latest run",
        response: { 200: z.object({ connections: z.array(ConnectionWithRun) }), ...authErrors },
      },
    },
    async (request) => {
      const { orgId } = request.principal!;
      const [list, latest] = await Promise.all([connections.list(orgId), runs.latestByConnection(orgId)]);
      return { connections: list.map((c) => ({ ...c, latestRun: latestRunOf(latest.get(c.id)) })) };
    },
  );

  // Registered before /:id routes read better, though Fastify prefers the static path either way.
  app.post(
    '/api/connections/preview',
    {
      config: { auth: 'editor', audit: 'connection.preview', bodyErrorCode: 'invalid_config', auditBody: maskConnectionBody },
      schema: {
        tags: ['connections'],
        summary: 'Preview an unsaved connection: read its first records and map them, writing nothing',
        body: PreviewInput,
        response: { 200: Preview, ...sourceErrors },
      },
    },
    async (request, reply) => {
      const config = connections.parse({ ...request.body, name: request.body.name || 'preview' });
      return previewConnection(config, { lastRunAt: undefined, cursor: undefined }, services.sources.client, { signal: abortOnClose(reply.raw) });
    },
  );

  app.get(
    '/api/connections/:id',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['connections'],
        summary: 'One connection (secrets masked), with its latest run',
        params: IdParams,
        response: { 200: ConnectionWithRun, ...authErrors, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { orgId } = request.principal!;
      const [connection, latest] = await Promise.all([connections.get(orgId, request.params.id), runs.latestOf(orgId, request.params.id)]);
      return { ...connection, latestRun: latestRunOf(latest) };
    },
  );

  app.patch(
    '/api/connections/:id',
    {
      config: { auth: 'editor', audit: 'connection.update', bodyErrorCode: 'invalid_config', auditBody: maskConnectionBody },
      schema: {
        tags: ['connections'],
        summary: 'Change a connection; a secret sent back as ******** keeps its stored value',
        params: IdParams,
        body: ConnectionPatch,
        response: { 200: Connection, ...authErrors, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      request.audit.target = `connection:${request.params.id}`;
      return connections.update(request.principal!.orgId, request.params.id, request.body);
    },
  );

  app.delete(
    '/api/connections/:id',
    {
      config: { auth: 'editor', audit: 'connection.delete' },
      schema: { tags: ['connections'], summary: 'Delete a connection', params: IdParams, response: { 204: z.null(), ...authErrors, 404: ErrorResponse } },
    },
    async (request, reply) => {
      request.audit.target = `connection:${request.params.id}`;
      await connections.delete(request.principal!.orgId, request.params.id);
      return reply.status(204).send(null);
    },
  );

  /** What the next run will read: the connection with its secrets and state, and when its schedule fires (null when paused or unscheduled). */
  const nextRunOf = async (orgId: string, id: string) => {
    const [{ config, state }, schedule] = await Promise.all([connections.getForExtraction(orgId, id), services.engine.schedules.findByConnection(orgId, id)]);
    const scheduledAt = schedule && !schedule.paused && schedule.nextFireAt ? new Date(schedule.nextFireAt) : null;
    return { config, state, scheduledAt };
  };

  app.get(
    '/api/connections/:id/next-run',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['connections'],
        summary: "What the connection's next run will send, before it runs: its first request rendered with the fire time, last_run_at and the cursor (secrets masked); nothing is sent",
        params: IdParams,
        response: { 200: NextRunAnswer, ...authErrors, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const { orgId } = request.principal!;
      const { config, state, scheduledAt } = await nextRunOf(orgId, request.params.id);
      return planNextRun(config, state, scheduledAt, services.sources.client);
    },
  );

  app.post(
    '/api/connections/:id/next-run/dry-run',
    {
      config: { auth: 'editor', audit: 'connection.dry_run' },
      schema: {
        tags: ['connections'],
        summary: 'Do the next run without writing anything: read its records (up to 1,000), map them, and tell the rows it would insert or update by the primary key',
        params: IdParams,
        response: { 200: DryRunAnswer, ...sourceErrors },
      },
    },
    async (request, reply) => {
      const { orgId } = request.principal!;
      request.audit.target = `connection:${request.params.id}`;
      const { config, state, scheduledAt } = await nextRunOf(orgId, request.params.id);
      return dryRunNextRun(orgId, config, state, scheduledAt, { client: services.sources.client, warehouse: services.warehouse }, abortOnClose(reply.raw));
    },
  );

  app.post(
    '/api/connections/:id/preview',
    {
      config: { auth: 'editor', audit: 'connection.preview' },
      schema: {
        tags: ['connections'],
        summary: 'Preview a saved connection: read its first records and map them, writing nothing',
        params: IdParams,
        response: { 200: Preview, ...sourceErrors },
      },
    },
    async (request, reply) => {
      request.audit.target = `connection:${request.params.id}`;
      const { config, state } = await connections.getForExtraction(request.principal!.orgId, request.params.id);
      return previewConnection(config, state, services.sources.client, { signal: abortOnClose(reply.raw) });
    },
  );
};

/** Stops reading the source when the caller hangs up before the answer is sent. */
function abortOnClose(response: { once(event: 'close', listener: () => void): unknown; writableFinished: boolean }): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
