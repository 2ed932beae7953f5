import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConnectionId, maskConnectionBody } from '../../connections/index.js';
import { RunState } from '../../engine/index.js';
import { ExecuteRunBody, LogLine, Run } from '../../runs/index.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse, IdParams } from '../schemas.js';

/** Masks the secrets of a `workflowConfig` in the audit trail. */
export const maskWorkflowBody = (body: unknown): unknown => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  return b.workflowConfig ? { ...b, workflowConfig: maskConnectionBody(b.workflowConfig) } : b;
};

/** Longest `?wait=true` holds the request before answering the run as it is (202). */
export const MAX_WAIT_SECONDS = 600;

const RunAccepted = z.object({ runId: z.string(), dagId: z.string(), state: RunState, run: Run });

/** Runs (CONTRACT.md, Runs and schedules): trigger, read, follow, cancel, retry. */
export const runsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { runs } = services;

  app.post(
    '/api/execute-run',
    {
      config: { auth: 'editor', audit: 'run.execute', bodyErrorCode: 'invalid_config', auditBody: maskWorkflowBody },
      schema: {
        tags: ['runs'],
        summary: "Run a connection's pipeline now",
        description:
          'Starts a run of `etl_workflow_<connectionId>`. With a `workflowConfig` for a connection that does not exist yet, the connection is created first. ' +
          'Answers 202 with the queued run; with `?wait=true`, waits for the run to end (at most `timeoutSeconds`, default and cap 600) and answers 200 with the finished run.',
        querystring: z.object({
          wait: z.enum(['true', 'false', '1', '0']).optional(),
          timeoutSeconds: z.coerce.number().int().min(1).max(MAX_WAIT_SECONDS).optional(),
        }),
        body: ExecuteRunBody,
        response: { 200: RunAccepted, 202: RunAccepted, ...authErrors, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const p = request.principal!;
      let run = await runs.execute(p.orgId, request.body, p.actor);
      request.audit.target = `run:${run.runId}`;
      const wait = request.query.wait === 'true' || request.query.wait === '1';
      if (wait) {
        const controller = new AbortController();
        reply.raw.once('close', () => controller.abort());
        // A caller that hung up while the run was being started: its 'close' has already been.
        if (reply.raw.destroyed) controller.abort();
        run = await runs.wait(p.orgId, run.runId, { timeoutMs: (request.query.timeoutSeconds ?? MAX_WAIT_SECONDS) * 1000, signal: controller.signal });
      }
      const finished = run.state === 'success' || run.state === 'failed' || run.state === 'cancelled';
      return reply.status(wait && finished ? 200 : 202).send({ runId: run.runId, dagId: run.dagId, state: run.state, run });
    },
  );

  app.get(
    '/api/runs',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['runs'],
        summary: "The organisation's runs, newest first",
        querystring: z.object({
          connectionId: ConnectionId.optional(),
          dagId: z.string().max(300).optional(),
          state: RunState.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          before: z.iso.datetime().optional().describe('Only runs queued before this time (paging: pass the last queuedAt)'),
        }),
        response: { 200: z.object({ runs: z.array(Run) }), ...authErrors },
      },
    },
    async (request) => ({ runs: await runs.list(request.principal!.orgId, request.query) }),
  );

  app.get(
    '/api/runs/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['runs'], summary: 'One run with its tasks', params: IdParams, response: { 200: Run, ...authErrors, 404: ErrorResponse } },
    },
    async (request) => runs.get(request.principal!.orgId, request.params.id),
  );

  app.get(
    '/api/runs/:id/logs',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['runs'],
        summary: "A run's log lines, per task and try",
        description:
          'Poll with `afterId` (the last id seen) to follow a running task. `complete` is true once the run had ended before the lines were read: ' +
          'no line will be added (until a retry), so a viewer following the log may stop.',
        params: IdParams,
        querystring: z.object({
          taskId: z.string().max(200).optional(),
          afterId: z.coerce.number().int().min(0).optional(),
          limit: z.coerce.number().int().min(1).max(5000).default(1000),
        }),
        response: {
          200: z.object({
            logs: z.array(LogLine),
            complete: z.boolean().describe('The run had ended before these lines were read: no line will be added until a retry'),
          }),
          ...authErrors,
          404: ErrorResponse,
        },
      },
    },
    async (request) => runs.logs(request.principal!.orgId, request.params.id, request.query),
  );

  app.post(
    '/api/runs/:id/cancel',
    {
      config: { auth: 'editor', audit: 'run.cancel' },
      schema: { tags: ['runs'], summary: 'Cancel a queued or running run', params: IdParams, response: { 200: Run, ...authErrors, 404: ErrorResponse, 409: ErrorResponse } },
    },
    async (request) => {
      request.audit.target = `run:${request.params.id}`;
      return runs.cancel(request.principal!.orgId, request.params.id);
    },
  );

  app.post(
    '/api/runs/:id/retry',
    {
      config: { auth: 'editor', audit: 'run.retry' },
      schema: {
        tags: ['runs'],
        summary: 'Run the failed part of a failed or cancelled run again',
        description: 'Failed, upstream-failed and cancelled tasks run again, with every task downstream of them; tasks that succeeded keep their results.',
        params: IdParams,
        response: { 200: Run, ...authErrors, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => {
      request.audit.target = `run:${request.params.id}`;
      return runs.retry(request.principal!.orgId, request.params.id);
    },
  );
};
