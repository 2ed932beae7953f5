import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuditEvent, AuditOutcome } from '../../audit/index.js';
import type { Services } from '../../services.js';
import { authErrors } from '../schemas.js';

const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  action: z.string().trim().min(1).max(200).optional().describe('An action (`user.create`) or a prefix ending in a dot (`user.`)'),
  before: z.coerce.number().int().positive().optional().describe('Only events older than this id, for paging'),
  outcome: AuditOutcome.optional().describe('Only events that ended so: success, denied (401/403) or failed'),
});

export const auditRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/audit',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['audit'],
        summary: "The organisation's audit trail, newest first",
        querystring: AuditQuery,
        response: { 200: z.object({ events: z.array(AuditEvent) }), ...authErrors },
      },
    },
    async (request) => ({ events: await services.audit.list(request.principal!.orgId, request.query) }),
  );
};
