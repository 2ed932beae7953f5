import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { roleAtLeast, type Role } from '../../auth/index.js';
import { UserError, validationFailed } from '../../errors/index.js';
import type { Services } from '../../services.js';

export interface AuthPluginOptions {
  services: Services;
  /** The control secret of `sluice start`, for CLI commands forwarded to the server. */
  controlSecret?: string | undefined;
}

const bearer = (request: FastifyRequest): string | undefined => {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
};

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The role a route needs; mutating methods default to editor so that forgetting to declare one fails safe. */
function requiredRole(request: FastifyRequest): 'public' | 'control' | 'airflow' | Role {
  // The API documentation (registered by @fastify/swagger-ui) is public like the OpenAPI document.
  if (request.routeOptions.url?.startsWith('/api/docs')) return 'public';
  const declared = request.routeOptions.config.auth;
  if (declared) return declared;
  return request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'editor';
}

/**
 * Bearer authentication for every /api route except the public ones, then
 * the role check, then the org guard: a body or query `org_id` / `client_id`
 * naming another organisation is refused with 403 (and so audited).
 */
export const authPlugin = fp(async (app: FastifyInstance, options: AuthPluginOptions) => {
  const { tokens } = options.services;
  app.decorateRequest('principal', undefined);

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/') || !request.routeOptions.url) return;
    const needed = requiredRole(request);
    if (needed === 'public') return;

    const token = bearer(request);
    if (needed === 'control') {
      if (!options.controlSecret || !token || !sameSecret(token, options.controlSecret)) {
        throw new UserError('unauthenticated', 'This route takes the control secret of the running server');
      }
      return;
    }
    if (needed === 'airflow') {
      const expected = options.services.config.airflowCallbackToken;
      if (!expected) throw new UserError('unauthenticated', 'Airflow task calls are not enabled: set SLUICE_AIRFLOW_TOKEN on Sluice and the same value as SLUICE_API_TOKEN on Airflow');
      if (!token || !sameSecret(token, expected)) throw new UserError('unauthenticated', 'This route takes the Airflow token (SLUICE_AIRFLOW_TOKEN)');
      return;
    }
    if (!token) {
      throw new UserError('unauthenticated', 'Missing bearer token: send "Authorization: Bearer <token>"', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const principal = await tokens.authenticate(token);
    if (!principal) {
      throw new UserError('unauthenticated', 'The bearer token is unknown, expired or revoked', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
    request.principal = principal;
    if (!roleAtLeast(principal.role, needed)) {
      throw new UserError('forbidden', `This action needs the ${needed} role; the token has ${principal.role}`);
    }
  });

  // After parsing but before validation: schemas drop unknown fields, and an
  // org_id the route does not use must still be refused, not silently ignored.
  app.addHook('preValidation', async (request) => {
    const principal = request.principal;
    if (!principal) return;
    for (const [where, source] of [['query', request.query], ['body', request.body]] as const) {
      if (!source || typeof source !== 'object' || Array.isArray(source)) continue;
      for (const field of ['org_id', 'client_id', 'orgId'] as const) {
        const value = (source as Record<string, unknown>)[field];
        if (value === undefined || value === null) continue;
        // An object (`{"toString": ...}`), an array (`?org_id=a&org_id=b`) or a boolean names no organisation.
        if (typeof value !== 'string' && typeof value !== 'number') {
          throw validationFailed([{ field: `${where}.${field}`, message: "must be an organisation id (a string): your organisation's or none" }]);
        }
        if (String(value) !== principal.orgId) {
          throw new UserError('forbidden_org', `${field} ${JSON.stringify(String(value))} is not your organisation`, {
            details: { field },
          });
        }
      }
    }
  });
});
