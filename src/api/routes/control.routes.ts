import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OPERATIONS, runOperation } from '../../admin/index.js';
import { Actor } from '../../auth/index.js';
import { notFound } from '../../errors/index.js';
import type { Services } from '../../services.js';

const Body = z.object({ input: z.unknown(), actor: Actor });

/**
 * POST /api/internal/operations/:name: how CLI commands reach a running
 * `sluice start` that holds the embedded data directory. Authenticated by the
 * control secret in `<dataDir>/control.json`, not by a user token; the
 * operation audits itself. Hidden from the OpenAPI document.
 */
export const controlRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/internal/operations/:name',
    {
      config: { auth: 'control', audit: false },
      schema: { hide: true, params: z.object({ name: z.string() }), body: Body },
    },
    async (request) => {
      const op = OPERATIONS[request.params.name];
      if (!op) throw notFound('Operation', request.params.name);
      return { output: await runOperation(services, op, request.body.input, request.body.actor) };
    },
  );
};
