import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { UserError } from '../errors/index.js';

export type ReleaseLock = () => Promise<void>;

/**
 * How long a lock may go without a heartbeat before another process may
 * break it (its owner crashed). PGlite runs queries on the main thread, so a
 * long statement delays the heartbeat: the margin must be generous.
 */
export const LOCK_STALE_MS = 30_000;
const STALE_MS = LOCK_STALE_MS;

/**
 * Takes the exclusive lock on an embedded data directory. PGlite has no
 * locking of its own and two processes writing one directory corrupt it, so
 * every process that opens the directory holds this lock for its lifetime.
 * The lock is a directory `<dataDir>/.lock` whose mtime the owner refreshes;
 * a crashed owner's lock goes stale after 10 s.
 */
export async function lockDataDir(dataDir: string, onLost?: (error: Error) => void): Promise<ReleaseLock> {
  // Owner only: the directory holds password and token hashes and the control secret.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    return await lockfile.lock(dataDir, {
      lockfilePath: path.join(dataDir, '.lock'),
      stale: STALE_MS,
      update: STALE_MS / 4,
      retries: 0,
      realpath: false,
      onCompromised:
        onLost ??
        ((error) => {
          throw error;
        }),
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new UserError('data_dir_locked', `The data directory ${dataDir} is in use by another Sluice process`, {
        details: { staleAfterSeconds: STALE_MS / 1000 },
        cause: error,
      });
    }
    throw error;
  }
}

/** Whether another live process holds the lock (without taking it). */
export async function isDataDirLocked(dataDir: string): Promise<boolean> {
  return lockfile.check(dataDir, { lockfilePath: path.join(dataDir, '.lock'), stale: STALE_MS, realpath: false }).catch(
    () => false,
  );
}
