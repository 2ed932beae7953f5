import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { UserError } from '../../errors/index.js';
import type { Services } from '../../services.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time. */
function bearerIs(request: FastifyRequest, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * `GET /metrics` in Prometheus text format, outside /api: no user token and
 * no audit event (a scrape every few seconds would drown the trail); with
 * SLUICE_METRICS_TOKEN set, only with that token. When metrics are off the
 * path answers 404 (not the web app's page). Also counts every answered
 * request by route pattern and status.
 */
export const metricsPlugin = fp(async (app: FastifyInstance, options: { services: Services }) => {
  const { metrics, config } = options.services;
  if (metrics) {
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    });
  }
  app.get('/metrics', { config: { auth: 'public', audit: false }, schema: { hide: true } }, async (request, reply) => {
    if (!metrics) return reply.callNotFound();
    const token = config.metrics.token;
    if (token && !bearerIs(request, token)) {
      throw new UserError('unauthenticated', 'GET /metrics takes the metrics token: send "Authorization: Bearer <SLUICE_METRICS_TOKEN>"', {
        headers: { 'www-authenticate': 'Bearer realm="metrics"' },
      });
    }
    const text = await metrics.scrape();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
  });
});
