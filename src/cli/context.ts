import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { createOutput, type Output } from './output.js';

/** What every command gets: the parsed settings and the output helpers for its flags. */
export interface CommandContext {
  config: Config;
  out: Output;
  verbose: boolean;
}

export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
}

/** Parses the configuration only when a command runs, so `--help` works with a broken environment. */
export function contextOf(command: Command, env: NodeJS.ProcessEnv = process.env): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput({ json: Boolean(globals.json) });
  return { config: loadConfig(env), out, verbose: Boolean(globals.verbose) };
}
