import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditOutcome } from '../../audit/index.js';
import type { Services } from '../../services.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const outcomeOf = (status: number): AuditOutcome => (status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failed');

/** What the caller sent, without empty parts; secrets are masked by the audit service. */
function inputOf(request: FastifyRequest): Record<string, unknown> | undefined {
  const input: Record<string, unknown> = {};
  const maskBody = request.routeOptions.config?.auditBody;
  for (const [key, value] of [
    ['params', request.params],
    ['query', request.query],
    ['body', maskBody ? maskBody(request.body) : request.body],
  ] as const) {
    if (value !== undefined && value !== null && !(typeof value === 'object' && Object.keys(value).length === 0)) input[key] = value;
  }
  return Object.keys(input).length > 0 ? input : undefined;
}

/**
 * Records every mutating /api call, and every refused one (401/403) whatever
 * its method, once the answer is sent. Routes name their action in
 * `config.audit`; handlers add the target in `request.audit.target`.
 */
export const auditPlugin = fp(async (app: FastifyInstance, options: { services: Services }) => {
  const { audit } = options.services;

  app.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const status = reply.statusCode;
    const refused = status === 401 || status === 403;
    if (!MUTATING.has(request.method) && !refused) return;
    const configured = request.routeOptions.config?.audit;
    if (configured === false) return;
    const routeUrl = request.routeOptions.url ?? request.url.split('?')[0];
    const principal = request.principal;
    const params = request.params as Record<string, unknown> | undefined;
    await audit.record({
      orgId: principal?.orgId ?? request.audit.orgId ?? null,
      actor: principal?.actor ?? request.audit.actor ?? { type: 'anonymous', id: null },
      action: configured ?? `${request.method} ${routeUrl}`,
      target: request.audit.target ?? (typeof params?.id === 'string' ? params.id : null),
      outcome: outcomeOf(status),
      status,
      requestId: request.id,
      ip: request.ip,
      input: inputOf(request),
      errorCode: status >= 400 ? (request.audit.errorCode ?? null) : null,
    });
  });
});
