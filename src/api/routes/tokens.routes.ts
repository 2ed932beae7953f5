import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mayGrant, Role, TokenInfo } from '../../auth/index.js';
import { UserError } from '../../errors/index.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse, IdParams } from '../schemas.js';

const CreateToken = z.object({
  name: z.string().trim().min(1).max(200),
  role: Role.default('editor'),
  expiresInDays: z.number().int().positive().max(3650).optional(),
});

/** API tokens of the caller's organisation (for scripts and Airflow). Admin only. */
export const tokensRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/tokens',
    {
      config: { auth: 'admin' },
      schema: { tags: ['tokens'], summary: 'List active tokens (never their secrets)', response: { 200: z.object({ tokens: z.array(TokenInfo) }), ...authErrors } },
    },
    async (request) => ({ tokens: await services.tokens.list(request.principal!.orgId) }),
  );

  app.post(
    '/api/tokens',
    {
      config: { auth: 'admin', audit: 'token.create' },
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; its secret is in this answer only',
        body: CreateToken,
        response: { 201: z.object({ token: z.string(), info: TokenInfo }), ...authErrors },
      },
    },
    async (request, reply) => {
      const p = request.principal!;
      if (!mayGrant(p, request.body.role)) {
        throw new UserError('forbidden', `You cannot create a token with more rights (${request.body.role}) than your own (${p.role})`);
      }
      const { token, info } = await services.tokens.issueApiToken(p.orgId, { ...request.body, createdBy: p.actor });
      request.audit.target = `token:${info.id}`;
      return reply.status(201).send({ token, info });
    },
  );

  app.delete(
    '/api/tokens/:id',
    {
      config: { auth: 'admin', audit: 'token.revoke' },
      schema: { tags: ['tokens'], summary: 'Revoke a token', params: IdParams, response: { 204: z.null(), ...authErrors, 404: ErrorResponse } },
    },
    async (request, reply) => {
      request.audit.target = `token:${request.params.id}`;
      await services.tokens.revoke(request.principal!.orgId, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
