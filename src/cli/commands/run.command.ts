import type { Command } from 'commander';
import { getRunOperation, runOperation, triggerRunOperation } from '../../admin/index.js';
import type { Config } from '../../config/index.js';
import { isDataDirLocked } from '../../db/index.js';
import { FINISHED_RUN_STATES, type RunView } from '../../engine/index.js';
import { AppError } from '../../errors/index.js';
import { createLogger } from '../../logger.js';
import { startServices } from '../../services.js';
import { contextOf } from '../context.js';
import { cliActor, executeRemotely } from '../execute.js';
import type { Output } from '../output.js';
import { describeRun, RunProgress } from '../run-progress.js';

export interface RunCommandOptions {
  org?: string | undefined;
  wait?: boolean | undefined;
  /** Seconds to wait before giving up on a run that does not end (it keeps going). */
  timeout?: number | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `sluice run <connectionId> [--wait]`: a manual run of the connection's
 * pipeline. Beside a running embedded `sluice start` the run goes through
 * it; on an embedded directory nobody holds, this process runs the run
 * itself (and so always waits); on a PostgreSQL server the run is queued
 * for the workers, and `--wait` follows it.
 */
export async function runConnection(config: Config, connectionId: string, options: RunCommandOptions, out: Output): Promise<RunView> {
  const actor = cliActor();
  const progress = new RunProgress(process.stderr, !out.json);
  const deadline = Date.now() + (options.timeout ?? 24 * 3600) * 1000;
  let run: RunView;
  if (config.database.kind === 'pglite' && (await isDataDirLocked(config.dataDir))) {
    run = await executeRemotely<RunView>(config.dataDir, triggerRunOperation.name, { connectionId, org: options.org }, actor);
    out.info(`run ${run.runId} of ${run.dagId} queued on the running server`);
    while (options.wait && !FINISHED_RUN_STATES.has(run.state) && Date.now() < deadline) {
      await sleep(500);
      run = await executeRemotely<RunView>(config.dataDir, getRunOperation.name, { org: run.orgId, runId: run.runId }, actor);
      progress.update(run);
    }
  } else {
    const runHere = config.database.kind === 'pglite';
    const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, fd: 2 });
    const { services } = await startServices({ ...config, engine: { ...config.engine, scheduler: false, workerConcurrency: runHere ? Math.max(1, config.engine.workerConcurrency) : 0 } }, logger, {
      applicationName: 'sluice-cli run',
    });
    try {
      if (runHere) services.engine.start();
      run = await runOperation(services, triggerRunOperation, { connectionId, org: options.org }, actor);
      out.info(`run ${run.runId} of ${run.dagId} ${runHere ? 'running in this process' : 'queued for the workers'}`);
      if (options.wait || runHere) {
        let warned = false;
        const started = Date.now();
        run = await services.runs.wait(run.orgId, run.runId, {
          timeoutMs: Math.max(0, deadline - Date.now()),
          onProgress: (r) => {
            progress.update(r);
            if (!runHere && !warned && r.state === 'queued' && Date.now() - started > 15_000) {
              warned = true;
              progress.done();
              out.warn('the run is still queued after 15 s: is a `sluice start` or `sluice worker` running against this database?');
            }
          },
        });
      }
    } finally {
      await services.close();
    }
  }
  progress.done();
  return run;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description("Run a connection's pipeline (etl_workflow_<connectionId>) now")
    .argument('<connectionId>', 'the connection to run')
    .option('--org <id>', "the connection's organisation (checked when given)")
    .option('--wait', 'wait for the run to end, showing its progress; exit 1 if it failed')
    .option('--timeout <seconds>', 'with --wait, stop waiting after this many seconds (the run goes on)', (v) => Number(v))
    .action(async (connectionId: string, options: RunCommandOptions, command: Command) => {
      const { config, out } = contextOf(command);
      const run = await runConnection(config, connectionId, options, out);
      out.result(FINISHED_RUN_STATES.has(run.state) ? describeRun(run) : `run ${run.runId} of ${run.dagId}: ${run.state}`, run);
      if (run.state === 'failed' || run.state === 'cancelled') {
        throw new AppError('run_failed', `run ${run.runId} ${run.state}${run.error ? `: ${run.error}` : ''}`);
      }
    });
}
