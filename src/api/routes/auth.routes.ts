import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidCredentialsError, Org, Role, TokenInfo, User } from '../../auth/index.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse } from '../schemas.js';

const LoginBody = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(1024),
});

const LoginResponse = z.object({ token: z.string(), expiresAt: z.iso.datetime().nullable(), user: User, org: Org });

/** What this server accepts, so the web app can refuse before sending (a file too large for the upload limit). */
const Limits = z.object({ uploadMaxBytes: z.number().int().describe('The largest upload accepted (SLUICE_MAX_UPLOAD_MB), in bytes') });

const Me = z.object({ org: Org, role: Role, user: User.nullable(), token: TokenInfo, limits: Limits });

export const authRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/auth/login',
    {
      config: { auth: 'public', audit: 'auth.login' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange email and password for a session token',
        security: [],
        body: LoginBody,
        response: { 200: LoginResponse, 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request) => {
      request.audit.actor = { type: 'anonymous', id: request.body.email.toLowerCase() };
      try {
        const result = await services.login.login({ ...request.body, ip: request.ip });
        request.audit.orgId = result.org.id;
        request.audit.actor = { type: 'user', id: result.user.id };
        request.audit.target = `user:${result.user.id}`;
        return { token: result.token, expiresAt: result.tokenInfo.expiresAt, user: result.user, org: result.org };
      } catch (error) {
        // A refused login lands in the audit trail of the organisation that owns the account.
        if (error instanceof InvalidCredentialsError && error.subject) {
          request.audit.orgId = error.subject.orgId;
          request.audit.target = `user:${error.subject.userId}`;
        }
        throw error;
      }
    },
  );

  app.post(
    '/api/auth/logout',
    {
      config: { auth: 'viewer', audit: 'auth.logout' },
      schema: { tags: ['auth'], summary: 'Revoke the token this request carries', response: { 204: z.null(), ...authErrors } },
    },
    async (request, reply) => {
      const principal = request.principal!;
      await services.tokens.revoke(principal.orgId, principal.tokenId);
      request.audit.target = `token:${principal.tokenId}`;
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['auth'], summary: 'The caller: organisation, role, user and token', response: { 200: Me, ...authErrors } },
    },
    async (request) => {
      const p = request.principal!;
      const [org, user, tokens] = await Promise.all([
        services.orgs.get(p.orgId),
        p.userId ? services.users.get(p.orgId, p.userId) : Promise.resolve(null),
        services.tokens.list(p.orgId),
      ]);
      const token = tokens.find((t) => t.id === p.tokenId)!;
      return { org, role: p.role, user, token, limits: { uploadMaxBytes: services.config.uploads.maxBytes } };
    },
  );
};
