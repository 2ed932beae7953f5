import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VERSION } from '../../version.js';
import type { Services } from '../../services.js';
import { MongoRawStore } from '../../stores/raw/index.js';

const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  database: z.object({ kind: z.enum(['pglite', 'postgres']), ok: z.boolean() }),
  rawStore: z.object({
    kind: z.enum(['postgres', 'mongodb']).describe('postgres: the database above; mongodb: MONGO_URI'),
    ok: z.boolean(),
  }),
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
      const raw = services.raw;
      const [ok, orchestrator, rawOk] = await Promise.all([
        services.db.ping(),
        services.orchestrator.health(),
        raw instanceof MongoRawStore ? raw.ping() : undefined,
      ]);
      const body: z.infer<typeof Health> = {
        // Airflow or MongoDB down degrades Sluice (no runs, no uploads) but does not take it out of a
        // load balancer: its data and API still answer. Only the database does (503).
        status: ok && orchestrator.ok && rawOk !== false ? 'ok' : 'degraded',
        version: VERSION,
        database: { kind: services.db.kind, ok },
        rawStore: { kind: raw.kind, ok: rawOk ?? ok },
        orchestrator: { kind: services.orchestrator.kind, ...orchestrator },
      };
      return reply.status(ok ? 200 : 503).send(body);
    },
  );
};
