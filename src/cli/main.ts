import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { AppError, exitCodeFor } from '../errors/index.js';
import { VERSION } from '../version.js';
import { registerMigrate } from './commands/migrate.command.js';
import { registerPrepare } from './commands/prepare.command.js';
import { registerOrgCreate } from './commands/org-create.command.js';
import { registerStart } from './commands/start.command.js';
import { registerTokenCreate } from './commands/token-create.command.js';
import { registerUserCreate } from './commands/user-create.command.js';
import { registerRun } from './commands/run.command.js';
import { registerWorker } from './commands/worker.command.js';
import { registerPipeline } from './commands/pipeline.command.js';
import { registerAirflow } from './commands/airflow.command.js';
import { createOutput } from './output.js';

/** The `sluice` command tree. Usage errors exit 2, failed operations 1. */
export function buildProgram(): Command {
  const program = new Command('sluice')
    .description('No-code data pipelines: REST APIs and files into typed PostgreSQL tables on a schedule')
    .version(VERSION, '-V, --version')
    .option('--json', 'print machine-readable JSON')
    .option('--verbose', 'print stack traces of unexpected errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  registerStart(program);
  registerWorker(program);
  registerRun(program);
  registerPipeline(program);
  registerAirflow(program);
  registerMigrate(program);
  registerPrepare(program);
  registerOrgCreate(program.command('org').description('Organisations'));
  registerUserCreate(program.command('user').description('Users'));
  registerTokenCreate(program.command('token').description('API tokens'));
  return program;
}

/** Runs the CLI and returns its exit code (0 success, 1 failed operation, 2 bad usage). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  const out = createOutput({ json });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successes; everything else commander raises is bad usage.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    }
    if (error instanceof ConfigError) {
      out.error(error.message, 'invalid_settings');
      return 2;
    }
    if (error instanceof AppError) {
      out.error(error.message, error.code);
      return exitCodeFor(error);
    }
    out.error(`unexpected error: ${(error as Error).message ?? String(error)}${argv.includes('--verbose') ? `\n${(error as Error).stack}` : ' (run with --verbose for details)'}`);
    return 1;
  }
}
