import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Org } from '../../auth/index.js';
import type { Services } from '../../services.js';
import { authErrors } from '../schemas.js';

export const orgRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/org',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['auth'], summary: "The caller's organisation", response: { 200: Org, ...authErrors } },
    },
    async (request) => services.orgs.get(request.principal!.orgId),
  );
};
