import type { Command } from 'commander';
import closeWithGrace from 'close-with-grace';
import type { AddressInfo } from 'node:net';
import { generateControlSecret, readControlFile, removeControlFile, writeControlFile } from '../../admin/index.js';
import { buildServer } from '../../api/index.js';
import { bootstrapFirstAdmin } from '../../auth/index.js';
import type { Config } from '../../config/index.js';
import { AppError, UserError } from '../../errors/index.js';
import { createLogger, type Logger } from '../../logger.js';
import { startServices } from '../../services.js';
import { contextOf } from '../context.js';
import type { Output } from '../output.js';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

/** The URL people and CLI commands use to reach a server bound to `address`. */
function urlOf(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * Starts the API server, the builtin workers and the scheduler (and, as
 * later parts arrive, the web app). Plain function, so tests can start and stop it.
 */
export async function startServer(config: Config, logger: Logger, out: Output): Promise<RunningServer> {
  let started;
  try {
    started = await startServices(config, logger, { applicationName: 'sluice-server' });
  } catch (error) {
    if (error instanceof AppError && error.code === 'data_dir_locked') {
      // The control file of a server that died may still be there: name the URL of the lock's owner only.
      const owner = (error.details as { owner?: { pid: number } } | undefined)?.owner;
      const control = await readControlFile(config.dataDir);
      const other = control && (!owner || owner.pid === control.pid) ? control : undefined;
      throw new UserError(
        'data_dir_locked',
        `${error.message}${other ? `, serving ${other.url}` : ''}. ` +
          'Stop it first, or set SLUICE_DATA_DIR to another directory; to run several processes on one database, use a PostgreSQL server (DATABASE_URL).',
      );
    }
    throw error;
  }
  const { services } = started;
  const embedded = config.database.kind === 'pglite';
  // Only the embedded mode needs the control route: on a server, CLI commands open the database themselves.
  const controlSecret = embedded ? generateControlSecret() : undefined;

  let app;
  try {
    const first = await bootstrapFirstAdmin(services.db, services, config.admin);
    if (first) {
      await services.audit.record({
        orgId: first.admin.orgId,
        actor: { type: 'system', id: 'bootstrap' },
        action: 'user.create',
        target: `user:${first.admin.id}`,
        outcome: 'success',
        input: { email: first.admin.email, role: 'admin' },
      });
      out.info(
        [
          '',
          `  Created organisation "${first.admin.orgId}" and its admin user.`,
          `    email:    ${first.admin.email}`,
          first.generatedPassword
            ? `    password: ${first.generatedPassword}   (shown once: keep it, or set SLUICE_ADMIN_PASSWORD before the first start)`
            : '    password: the value of SLUICE_ADMIN_PASSWORD',
          '',
        ].join('\n'),
      );
    }
    app = await buildServer({ services, controlSecret });
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    await app?.close();
    await services.close();
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      throw new UserError('port_in_use', `Port ${config.http.port} on ${config.http.host} is already in use; set PORT to a free port`);
    }
    throw error;
  }

  const url = urlOf(app.server.address() as AddressInfo);
  const control = controlSecret ? await writeControlFile(config.dataDir, { pid: process.pid, url, secret: controlSecret }) : undefined;

  out.info(`Sluice ${config.database.kind === 'pglite' ? `(embedded database in ${config.dataDir})` : '(PostgreSQL server)'} is listening on ${url}`);
  out.info(`  API docs: ${url}/api/docs`);
  services.engine.start();
  services.retention.start();
  services.orchestrator.start?.();
  out.info(
    `  Runs: ${config.engine.workerConcurrency > 0 ? `${config.engine.workerConcurrency} task(s) at once in this process` : 'no workers in this process (SLUICE_WORKER_CONCURRENCY=0)'}; ` +
      `scheduler ${config.engine.scheduler ? 'on' : 'off (SLUICE_SCHEDULER=false)'}`,
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (control) await removeControlFile(config.dataDir, control.secret);
      await app.close();
      await services.close();
    })());
  return { url, stop };
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the API server with the builtin scheduler and workers (the default of npm start)')
    .action(async (_options, command: Command) => {
      const { config, out } = contextOf(command);
      const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY });
      const server = await startServer(config, logger, out);
      // SIGINT/SIGTERM: finish requests in flight, close the database, release the data directory.
      closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
        if (err) logger.error({ err }, 'shutting down after an error');
        else logger.info({ signal }, 'shutting down');
        await server.stop();
      });
    });
}
