import type { Command } from 'commander';
import { triggerRunOperation } from '../../admin/index.js';
import type { Config } from '../../config/index.js';
import { FINISHED_RUN_STATES, type RunView } from '../../engine/index.js';
import { AppError } from '../../errors/index.js';
import { contextOf } from '../context.js';
import type { Output } from '../output.js';
import { describeRun, RunProgress } from '../run-progress.js';
import { followRun, openRunner } from '../runner.js';

export interface RunCommandOptions {
  org?: string | undefined;
  wait?: boolean | undefined;
  /** Seconds to wait before giving up on a run that does not end (it keeps going). */
  timeout?: number | undefined;
}

/**
 * `sluice run <connectionId> [--wait]`: a manual run of the connection's
 * pipeline. Beside a running embedded `sluice start` the run goes through
 * it; on an embedded directory nobody holds, this process runs the run
 * itself (and so always waits); on a PostgreSQL server the run is queued
 * for the workers, and `--wait` follows it.
 */
export async function runConnection(config: Config, connectionId: string, options: RunCommandOptions, out: Output): Promise<RunView> {
  const runner = await openRunner(config);
  try {
    let run = await runner.exec(triggerRunOperation, { connectionId, org: options.org });
    out.info(`run ${run.runId} of ${run.dagId} ${{ server: 'queued on the running server', here: 'running in this process', queue: 'queued for the workers' }[runner.where]}`);
    if (options.wait || runner.where === 'here') {
      run = await followRun(runner, run, new RunProgress(process.stderr, !out.json), out, (options.timeout ?? 24 * 3600) * 1000);
    }
    return run;
  } finally {
    await runner.close();
  }
}

/** Exit 1 (with the run's error) when a run the command waited for did not succeed. */
export function failUnlessSucceeded(run: RunView): void {
  if (run.state === 'failed' || run.state === 'cancelled') {
    throw new AppError('run_failed', `run ${run.runId} ${run.state}${run.error ? `: ${run.error}` : ''}`);
  }
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
      failUnlessSucceeded(run);
    });
}
