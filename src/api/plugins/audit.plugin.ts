import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditOutcome, AuditService } from '../../audit/index.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const outcomeOf = (status: number): AuditOutcome => (status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failed');

/** What the caller sent, without empty parts; secrets are masked by the audit service. */
function inputOf(request: FastifyRequest): Record<string, unknown> | undefined {
  const input: Record<string, unknown> = {};
  const maskBody = request.routeOptions.config?.auditBody;
  let body: unknown = request.body;
  if (maskBody && body !== undefined) {
    try {
      body = maskBody(body);
    } catch (error) {
      // Never the unmasked body: it may hold secrets only the route's masking knows.
      body = `[the body could not be masked for the audit trail: ${(error as Error).name}]`;
    }
  }
  for (const [key, value] of [
    ['params', request.params],
    ['query', request.query],
    ['body', body],
  ] as const) {
    if (value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0)) input[key] = value;
  }
  return Object.keys(input).length > 0 ? input : undefined;
}

/** Records the audit event of a finished request; each request at most once, whichever path finishes it. */
export interface RequestAuditor {
  record(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/**
 * The audit event of an HTTP request: every mutating /api call, and every
 * refused one (401/403) whatever its method. Routes name their action in
 * `config.audit`; handlers add the target in `request.audit.target`. Used by
 * the audit plugin and by the framework-error handler (requests Fastify
 * refuses before routing them, which no hook sees).
 */
export function requestAuditor(audit: AuditService): RequestAuditor {
  const recorded = new WeakSet<FastifyRequest>();
  return {
    async record(request, reply) {
      if (recorded.has(request)) return;
      recorded.add(request);
      try {
        await recordOnce(request, reply);
      } catch (error) {
        // The audit service logs its own write failures; this is a bug before it (the hooks must not reject).
        request.log.error({ err: error }, 'could not prepare the audit event of a request');
      }
    },
  };

  async function recordOnce(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!request.url.startsWith('/api/')) return;
    const status = reply.statusCode;
    const refused = status === 401 || status === 403;
    if (!MUTATING.has(request.method) && !refused) return;
    const configured = request.routeOptions.config?.audit;
    if (configured === false) return;
    const routeUrl = request.routeOptions.url ?? request.url.split('?')[0];
    const principal = request.principal;
    const params = request.params as Record<string, unknown> | undefined;
    const details = request.audit ?? {};
    await audit.record({
      orgId: principal?.orgId ?? details.orgId ?? null,
      actor: principal?.actor ?? details.actor ?? { type: 'anonymous', id: null },
      action: configured ?? `${request.method} ${routeUrl}`,
      target: details.target ?? (typeof params?.id === 'string' ? params.id : null),
      outcome: outcomeOf(status),
      status,
      requestId: request.id,
      ip: request.ip,
      input: inputOf(request),
      errorCode: status >= 400 ? (details.errorCode ?? null) : null,
    });
  }
}

/**
 * Records each audited request once its answer is decided. Normally that is
 * when the answer is sent (onResponse). A client that closes the connection
 * first (a truncated upload, a caller that gave up waiting) gets no
 * onResponse from Fastify: then the event is recorded when the answer is
 * decided (onSend), with the status the caller would have seen.
 */
export const auditPlugin = fp(async (app: FastifyInstance, options: { auditor: RequestAuditor }) => {
  const { auditor } = options;
  const sent = new WeakSet<FastifyRequest>();
  const answered = new WeakSet<FastifyRequest>();
  const closedEarly = new WeakSet<FastifyRequest>();
  app.decorateRequest('audit', null as never);

  // Registered before authentication, so that it runs for every routed request.
  app.addHook('onRequest', async (request, reply) => {
    request.audit = {};
    if (reply.raw.destroyed) closedEarly.add(request);
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished || answered.has(request)) return;
      closedEarly.add(request);
      if (sent.has(request)) void auditor.record(request, reply);
    });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    sent.add(request);
    if (closedEarly.has(request)) void auditor.record(request, reply);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    answered.add(request);
    return auditor.record(request, reply);
  });
});
