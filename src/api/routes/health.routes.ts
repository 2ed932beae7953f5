import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VERSION } from '../../version.js';
import type { Services } from '../../services.js';

const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  database: z.object({ kind: z.enum(['pglite', 'postgres']), ok: z.boolean() }),
  orchestrator: z.object({
    kind: z.enum(['builtin', 'airflow']),
    ok: z.boolean().nullable().describe('null while the orchestrator has not been checked'),
    detail: z.string().optional(),
  }),
});

/** GET /api/health: public, cheap, and 503 when the database does not answer (for load balancers). */
export const healthRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/health',
    {
      config: { auth: 'public' },
      schema: { tags: ['system'], summary: 'Liveness and readiness', security: [], response: { 200: Health, 503: Health } },
    },
    async (_request, reply) => {
      const [ok, orchestrator] = await Promise.all([services.db.ping(), services.orchestrator.health()]);
      const body: z.infer<typeof Health> = {
        // Airflow down degrades Sluice but does not take it out of a load balancer: only the database does (503).
        status: ok && orchestrator.ok ? 'ok' : 'degraded',
        version: VERSION,
        database: { kind: services.db.kind, ok },
        orchestrator: { kind: services.orchestrator.kind, ...orchestrator },
      };
      return reply.status(ok ? 200 : 503).send(body);
    },
  );
};
