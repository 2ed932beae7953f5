import os from 'node:os';
import type { z } from 'zod';
import { readControlFile, runOperation, type Operation } from '../admin/index.js';
import type { Actor } from '../auth/index.js';
import type { Config } from '../config/index.js';
import { isDataDirLocked, LOCK_STALE_MS } from '../db/index.js';
import { AppError, ERROR_CODES, UserError, type ErrorCode } from '../errors/index.js';
import { silentLogger, type Logger } from '../logger.js';
import { startServices } from '../services.js';

export const cliActor = (): Actor => ({ type: 'cli', id: safeUsername() });

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * Runs a platform operation for a CLI command. On a PostgreSQL server, or an
 * embedded data directory nobody holds, it opens the database itself. When
 * `sluice start` holds the embedded directory, it hands the operation to that
 * server through its control route, which runs the same code.
 */
export async function executeOperation<I extends z.ZodType, O>(
  config: Config,
  op: Operation<I, O>,
  input: unknown,
  logger: Logger = silentLogger(),
): Promise<O> {
  const actor = cliActor();
  if (config.database.kind === 'pglite' && (await isDataDirLocked(config.dataDir))) {
    return executeRemotely(config.dataDir, op.name, input, actor);
  }
  let started;
  try {
    started = await startServices(config, logger, { applicationName: `sluice-cli ${op.name}` });
  } catch (error) {
    // Lost a race with a server that started just now: go through it instead.
    if (error instanceof AppError && error.code === 'data_dir_locked') {
      return executeRemotely(config.dataDir, op.name, input, actor);
    }
    throw error;
  }
  try {
    return await runOperation(started.services, op, input, actor);
  } finally {
    await started.services.close();
  }
}

/** Hands an operation to the `sluice start` holding the embedded data directory. */
export async function executeRemotely<O>(dataDir: string, name: string, input: unknown, actor: Actor): Promise<O> {
  const control = await readControlFile(dataDir);
  const advice =
    'Stop the other process, or run this command while `sluice start` is running on this data directory, ' +
    'or use a PostgreSQL server (DATABASE_URL) so that several processes can share the database.';
  if (!control) {
    throw new UserError(
      'data_dir_locked',
      `The data directory ${dataDir} is in use by another Sluice process that accepts no commands. ${advice} ` +
        `A process of this machine that crashed gives the lock up at once; one of another machine or container, within ${LOCK_STALE_MS / 1000} seconds.`,
    );
  }
  let response: Response;
  try {
    response = await fetch(new URL(`/api/internal/operations/${encodeURIComponent(name)}`, control.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${control.secret}` },
      body: JSON.stringify({ input, actor }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new UserError(
      'data_dir_locked',
      `The data directory ${dataDir} is held by Sluice process ${control.pid}, but its server at ${control.url} does not answer (${(error as Error).message}). ${advice}`,
      { cause: error },
    );
  }
  const body = (await response.json().catch(() => ({}))) as {
    output?: O;
    error?: { code?: string; message?: string; details?: unknown };
  };
  if (!response.ok) {
    const code = (body.error?.code && body.error.code in ERROR_CODES ? body.error.code : 'internal') as ErrorCode;
    throw new AppError(code, body.error?.message ?? `The running server answered ${response.status}`, { details: body.error?.details });
  }
  return body.output as O;
}
