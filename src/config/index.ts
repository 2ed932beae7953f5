import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parseConfig, type Config } from './config.js';

export { parseConfig, CONFIG_VARIABLES, DEFAULTS } from './config.js';
export type { Config, DatabaseConfig } from './config.js';
export { ConfigError, type ConfigProblem } from './config-error.js';

/**
 * Reads `.env.local` and `.env` from `cwd` (when present) under the real
 * environment: a variable set in the process wins over `.env.local`, which
 * wins over `.env`. Returns a new object; `process.env` is left untouched.
 */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = {};
  for (const file of ['.env', '.env.local']) {
    const full = path.join(cwd, file);
    if (existsSync(full)) Object.assign(merged, parseDotenv(readFileSync(full)));
  }
  // An empty variable counts as unset everywhere, so `PORT=` in the shell does not hide `.env`'s PORT.
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[key] = value;
  return merged;
}

/** The one call the entry points make: environment files + process environment → validated config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  return parseConfig(readEnvironment(env, cwd), cwd);
}
