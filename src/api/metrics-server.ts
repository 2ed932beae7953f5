import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Services } from '../services.js';
import { errorsPlugin } from './plugins/errors.plugin.js';
import { metricsPlugin } from './plugins/metrics.plugin.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` alone, for `sluice worker` (SLUICE_WORKER_METRICS_PORT): a
 * worker serves no API, but its attempts, durations and pool are its own
 * and only it can tell them. The same route, token and answers as on
 * `sluice start`; everything else is 404.
 */
export async function listenMetrics(services: Services, options: { host: string; port: number }): Promise<MetricsServer> {
  const app = Fastify({
    loggerInstance: services.logger.child({ component: 'metrics-server' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  await app.register(errorsPlugin);
  await app.register(metricsPlugin, { services });
  const url = await app.listen({ host: options.host, port: options.port });
  return { url, close: () => app.close() };
}
