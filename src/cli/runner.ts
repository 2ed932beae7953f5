import { getRunOperation, runOperation, type Operation } from '../admin/index.js';
import type { Config } from '../config/index.js';
import { isDataDirLocked } from '../db/index.js';
import { FINISHED_RUN_STATES, type RunView } from '../engine/index.js';
import { createLogger } from '../logger.js';
import { startServices, type Services } from '../services.js';
import type { z } from 'zod';
import { cliActor, executeRemotely } from './execute.js';
import type { Output } from './output.js';
import type { RunProgress } from './run-progress.js';

/**
 * Where a CLI command that starts runs does its work:
 * - `server`: a `sluice start` holds the embedded data directory; operations go through it, and so do the runs.
 * - `here`: this process opened the embedded directory itself, so it also runs the workers until the command ends.
 * - `queue`: a PostgreSQL server; runs are queued for the workers of `sluice start` / `sluice worker`.
 */
export interface Runner {
  readonly where: 'server' | 'here' | 'queue';
  exec<I extends z.ZodType, O>(op: Operation<I, O>, input: unknown): Promise<O>;
  getRun(orgId: string, runId: string): Promise<RunView>;
  close(): Promise<void>;
}

export async function openRunner(config: Config): Promise<Runner> {
  const actor = cliActor();
  if (config.database.kind === 'pglite' && (await isDataDirLocked(config.dataDir))) {
    return {
      where: 'server',
      exec: (op, input) => executeRemotely(config.dataDir, op.name, input, actor),
      getRun: (orgId, runId) => executeRemotely<RunView>(config.dataDir, getRunOperation.name, { org: orgId, runId }, actor),
      close: async () => undefined,
    };
  }
  const here = config.database.kind === 'pglite';
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, fd: 2 });
  const { services }: { services: Services } = await startServices(
    { ...config, engine: { ...config.engine, scheduler: false, workerConcurrency: here ? Math.max(1, config.engine.workerConcurrency) : 0 } },
    logger,
    { applicationName: 'sluice-cli' },
  );
  if (here) services.engine.start();
  return {
    where: here ? 'here' : 'queue',
    exec: (op, input) => runOperation(services, op, input, actor),
    getRun: (orgId, runId) => services.runs.get(orgId, runId),
    close: () => services.close(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a run until it ends (or `timeoutMs`), feeding the progress display; warns once when nothing picks a queued run up. */
export async function followRun(runner: Runner, run: RunView, progress: RunProgress, out: Output, timeoutMs = 24 * 3600_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();
  let warned = false;
  let current = run;
  while (!FINISHED_RUN_STATES.has(current.state) && Date.now() < deadline) {
    await sleep(300);
    current = await runner.getRun(run.orgId, run.runId);
    progress.update(current);
    if (runner.where === 'queue' && !warned && current.state === 'queued' && Date.now() - started > 15_000) {
      warned = true;
      progress.done();
      out.warn('the run is still queued after 15 s: is a `sluice start` or `sluice worker` running against this database?');
    }
  }
  progress.done();
  return current;
}
