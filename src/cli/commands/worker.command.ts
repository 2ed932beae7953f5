import type { Command } from 'commander';
import { listenMetrics } from '../../api/index.js';
import closeWithGrace from 'close-with-grace';
import type { Config } from '../../config/index.js';
import { AppError, UserError } from '../../errors/index.js';
import { createLogger, type Logger } from '../../logger.js';
import { startServices } from '../../services.js';
import { contextOf } from '../context.js';
import type { Output } from '../output.js';

export interface RunningWorker {
  id: string;
  /** Where its `GET /metrics` answers (SLUICE_WORKER_METRICS_PORT), if it serves them. */
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * `sluice worker`: runs tasks, nothing else (no API, no scheduler). Several
 * may run against one PostgreSQL server beside `sluice start`; each claims
 * ready tasks with SKIP LOCKED and fails+retries the tasks of workers that died.
 */
export async function startWorker(config: Config, logger: Logger, out: Output): Promise<RunningWorker> {
  const concurrency = Math.max(1, config.engine.workerConcurrency);
  let started;
  try {
    started = await startServices({ ...config, engine: { ...config.engine, scheduler: false, workerConcurrency: concurrency } }, logger, { applicationName: 'sluice-worker' });
  } catch (error) {
    if (error instanceof AppError && error.code === 'data_dir_locked') {
      throw new UserError(
        'data_dir_locked',
        `${error.message}. The running Sluice already runs tasks on this embedded database; to add workers, use a PostgreSQL server (DATABASE_URL) shared by every process.`,
      );
    }
    throw error;
  }
  const { services } = started;
  const port = config.metrics.workerPort;
  let metrics;
  try {
    metrics = port === undefined ? undefined : await listenMetrics(services, { host: config.http.host, port });
  } catch (error) {
    await services.close();
    throw new UserError('invalid_config', `SLUICE_WORKER_METRICS_PORT: cannot serve metrics on ${config.http.host}:${port} (${(error as Error).message})`, { cause: error });
  }
  services.engine.start();
  services.retention.start();
  out.info(`Sluice worker ${services.engine.pool.id} running up to ${concurrency} task(s) at once on the ${config.database.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL server'}`);
  if (metrics) out.info(`Its metrics are at ${metrics.url}/metrics`);
  let stopping: Promise<void> | undefined;
  return {
    id: services.engine.pool.id,
    metricsUrl: metrics ? `${metrics.url}/metrics` : undefined,
    stop: () => (stopping ??= (async () => {
      await metrics?.close();
      await services.close();
    })()),
  };
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run tasks only (no API, no scheduler); several may share one PostgreSQL server')
    .action(async (_options, command: Command) => {
      const { config, out } = contextOf(command);
      const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY });
      const worker = await startWorker(config, logger, out);
      // SIGTERM: stop claiming, let running tasks finish for a while, then hand them back for retry.
      closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
        if (err) logger.error({ err }, 'shutting down after an error');
        else logger.info({ signal }, 'shutting down');
        await worker.stop();
      });
    });
}
