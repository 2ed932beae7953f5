import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Services } from '../services.js';
import { VERSION } from '../version.js';
import { auditPlugin, requestAuditor } from './plugins/audit.plugin.js';
import { authPlugin } from './plugins/auth.plugin.js';
import { clientErrorHandler, errorsPlugin, frameworkErrorHandler, MAX_PARAM_LENGTH } from './plugins/errors.plugin.js';
import { inputLimitsPlugin } from './plugins/input-limits.plugin.js';
import { metricsPlugin } from './plugins/metrics.plugin.js';
import { auditRoutes } from './routes/audit.routes.js';
import { connectionsRoutes } from './routes/connections.routes.js';
import { connectionProposalsRoutes } from './routes/connection-proposals.routes.js';
import { notificationsRoutes } from './routes/notifications.routes.js';
import { runsRoutes } from './routes/runs.routes.js';
import { filesRoutes, MAX_UPLOAD_FIELD_BYTES } from './routes/files.routes.js';
import { airflowRoutes } from './routes/airflow.routes.js';
import { airflowTasksRoutes } from './routes/airflow-tasks.routes.js';
import multipart from '@fastify/multipart';
import { schedulerRoutes } from './routes/scheduler.routes.js';
import { tablesRoutes } from './routes/tables.routes.js';
import { forecastsRoutes } from './routes/forecasts.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { controlRoutes } from './routes/control.routes.js';
import { healthRoutes } from './routes/health.routes.js';
import { orgRoutes } from './routes/org.routes.js';
import { tokensRoutes } from './routes/tokens.routes.js';
import { usersRoutes } from './routes/users.routes.js';
import { webPlugin } from './plugins/web.plugin.js';
import './types.js';

/** The Content-Security-Policy of /api/docs: swagger-ui's bundle from this server, its inline styles allowed, nothing else. */
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'self'; img-src 'self' data:; object-src 'none'; " +
  "script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'";

export interface ServerOptions {
  services: Services;
  /** Enables the control route for CLI commands forwarded by `sluice start`. */
  controlSecret?: string | undefined;
}

/** Request ids: the caller's `X-Request-Id` when it is sane, else a new UUID. */
const genReqId = (req: { headers: Record<string, string | string[] | undefined> }): string => {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
};

/**
 * Builds the HTTP server without listening: external plugins, then Sluice's
 * plugins, then routes (Fastify's recommended order). Tests call this and use
 * `app.inject()`; `sluice start` calls it and listens.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { services } = options;
  const { config } = services;
  const auditor = requestAuditor(services.audit);
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    genReqId,
    trustProxy: config.http.trustProxy,
    bodyLimit: 10 * 1024 * 1024,
    // The second seed's paths end with a slash (`/api/files/`); both spellings answer.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Requests refused before routing, and requests Node cannot read, answer in the error shape too.
    frameworkErrors: frameworkErrorHandler(auditor, (request, reply) =>
      services.metrics?.observeRequest(request.method, undefined, reply.statusCode, reply.elapsedTime / 1000),
    ),
    clientErrorHandler,
    // Fastify logs two lines per request at info; a server's log is for what happened to its work, so
    // requests are one line at debug (LOG_LEVEL=debug shows them), and failures are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, route: request.routeOptions.url ?? '(unmatched)', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // swagger-ui injects inline styles and loads its bundle from /api/docs/static.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        // Helmet's default asks browsers to fetch everything over https: Sluice served over plain http on
        // another machine's address (HOST=0.0.0.0) would then load no script at all. Only when the public
        // address is https.
        upgradeInsecureRequests: config.http.publicUrl?.startsWith('https:') ? [] : null,
      },
    },
  });
  if (config.http.corsOrigins.length > 0) {
    await app.register(cors, { origin: config.http.corsOrigins, credentials: false });
  }
  // Uploads stream: the limits stop a client at the size allowed instead of after it sent everything.
  await app.register(multipart, { limits: { fileSize: services.config.uploads.maxBytes, files: 1, fields: 10, fieldSize: MAX_UPLOAD_FIELD_BYTES, parts: 12 } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sluice API',
        version: VERSION,
        description:
          'No-code data pipelines. Every route except health and login takes `Authorization: Bearer <token>`. Errors are `{"error": {"code", "message", "details"?}}`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    // swagger-ui's own policy (`staticCSP: true`) forbids the inline styles its page sets, which the browser
    // reports as an error on every visit: the same policy as the rest of the app, nothing loaded from elsewhere.
    staticCSP: DOCS_CSP,
    // No validator badge: it would send the OpenAPI document's address to validator.swagger.io.
    uiConfig: { validatorUrl: null },
  });

  await app.register(errorsPlugin);
  // The audit plugin first: its hooks must see requests that authentication refuses.
  await app.register(auditPlugin, { auditor });
  await app.register(inputLimitsPlugin);
  await app.register(authPlugin, { services, controlSecret: options.controlSecret });
  await app.register(metricsPlugin, { services });

  await app.register(healthRoutes, { services });
  await app.register(authRoutes, { services });
  await app.register(orgRoutes, { services });
  await app.register(usersRoutes, { services });
  await app.register(tokensRoutes, { services });
  await app.register(auditRoutes, { services });
  await app.register(connectionsRoutes, { services });
  await app.register(connectionProposalsRoutes, { services });
  await app.register(tablesRoutes, { services });
  await app.register(forecastsRoutes, { services });
  await app.register(notificationsRoutes, { services });
  await app.register(runsRoutes, { services });
  await app.register(schedulerRoutes, { services });
  await app.register(filesRoutes, { services });
  await app.register(airflowRoutes, { services });
  await app.register(airflowTasksRoutes, { services });
  if (options.controlSecret) await app.register(controlRoutes, { services });

  app.get('/api/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  // The web app (web/dist) at `/`, or the placeholder page until it is built.
  await app.register(webPlugin);

  await app.ready();
  return app as unknown as FastifyInstance;
}
