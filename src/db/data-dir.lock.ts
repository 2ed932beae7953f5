import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { UserError } from '../errors/index.js';
import { currentProcess, describeProcess, ProcessIdentity, processState } from '../process-identity.js';

export type ReleaseLock = () => Promise<void>;

/**
 * How long a lock may go without a heartbeat before another process may
 * break it when it cannot tell whether the owner lives (the owner is of
 * another machine or container, or wrote no owner file). PGlite runs queries
 * on the main thread, so a long statement delays the heartbeat: the margin
 * must be generous. An owner on this machine that is dead is replaced at
 * once, without waiting for this.
 */
export const LOCK_STALE_MS = 30_000;
const STALE_MS = LOCK_STALE_MS;

/**
 * The gate is held for the few milliseconds of taking (or taking over) the
 * lock, so that two processes starting at once cannot both decide the owner
 * is dead and both take the lock. A process killed inside the gate leaves it
 * to go stale after this long.
 */
const GATE_STALE_MS = 5_000;

const lockPath = (dataDir: string) => path.join(dataDir, '.lock');
const ownerPath = (dataDir: string) => path.join(dataDir, '.lock-owner.json');
/** proper-lockfile keys its locks by this path, so the gate must not be the data directory itself. */
const gateFile = (dataDir: string) => path.join(dataDir, '.lock-gate');

/** What `lockDataDir` reports beside the release function. */
export interface LockTaken {
  release: ReleaseLock;
  /** The owner whose lock this process took over because it was dead, if any. */
  tookOverFrom?: ProcessIdentity;
}

/**
 * Takes the exclusive lock on an embedded data directory. PGlite has no
 * locking of its own and two processes writing one directory corrupt it, so
 * every process that opens the directory holds this lock for its lifetime.
 *
 * The lock is a directory `<dataDir>/.lock` whose mtime the owner refreshes,
 * with the owner's identity beside it in `.lock-owner.json` (host, pid and
 * start time: see process-identity.ts). A lock whose owner is on this
 * machine and dead (killed, crashed) is taken over at once; one whose owner
 * cannot be checked goes stale after LOCK_STALE_MS without a heartbeat.
 */
export async function lockDataDir(dataDir: string, onLost?: (error: Error) => void): Promise<ReleaseLock> {
  return (await takeDataDirLock(dataDir, onLost)).release;
}

/** `lockDataDir`, also saying whose dead lock it took over. */
export async function takeDataDirLock(dataDir: string, onLost?: (error: Error) => void): Promise<LockTaken> {
  // Owner only: the directory holds password and token hashes and the control secret.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const closeGate = await lockfile.lock(gateFile(dataDir), {
    stale: GATE_STALE_MS,
    update: GATE_STALE_MS / 5,
    retries: { retries: Math.ceil((GATE_STALE_MS * 2) / 100), factor: 1, minTimeout: 100, maxTimeout: 100 },
    realpath: false,
    onCompromised: () => undefined,
  });
  try {
    let release: () => Promise<void>;
    let tookOverFrom: ProcessIdentity | undefined;
    try {
      release = await lock(dataDir, onLost);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ELOCKED') throw error;
      const owner = await readOwner(dataDir);
      if (!owner || processState(owner) !== 'dead') throw lockedError(dataDir, owner, error);
      // Only the gate's holder removes a lock, and the owner file read under the gate is the lock's.
      await rm(lockPath(dataDir), { recursive: true, force: true });
      release = await lock(dataDir, onLost).catch(async (again: unknown) => {
        // A Sluice too old to know the gate got in between.
        throw (again as { code?: string }).code === 'ELOCKED' ? lockedError(dataDir, await readOwner(dataDir), again) : again;
      });
      tookOverFrom = owner;
    }
    const me = currentProcess();
    await writeOwner(dataDir, me);
    return {
      tookOverFrom,
      release: async () => {
        // The owner file first: once the lock is gone, the next owner's file may be there.
        const owner = await readOwner(dataDir);
        if (owner?.pid === me.pid && owner.startTicks === me.startTicks && owner.host === me.host) await rm(ownerPath(dataDir), { force: true });
        await release();
      },
    };
  } finally {
    await closeGate().catch(() => undefined);
  }
}

/** Whether another live process holds the lock (without taking it): a dead owner's lock does not count. */
export async function isDataDirLocked(dataDir: string): Promise<boolean> {
  const locked = await lockfile.check(dataDir, { lockfilePath: lockPath(dataDir), stale: STALE_MS, realpath: false }).catch(() => false);
  if (!locked) return false;
  const owner = await readOwner(dataDir);
  return !(owner && processState(owner) === 'dead');
}

function lock(dataDir: string, onLost: ((error: Error) => void) | undefined): Promise<() => Promise<void>> {
  return lockfile.lock(dataDir, {
    lockfilePath: lockPath(dataDir),
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
}

function lockedError(dataDir: string, owner: ProcessIdentity | undefined, cause: unknown): UserError {
  const who = !owner ? '' : owner.host === currentProcess().host ? ` (pid ${owner.pid})` : ` (${describeProcess(owner)})`;
  return new UserError('data_dir_locked', `The data directory ${dataDir} is in use by another Sluice process${who}`, {
    details: { staleAfterSeconds: STALE_MS / 1000, ...(owner ? { owner: { host: owner.host, pid: owner.pid } } : {}) },
    cause,
  });
}

async function readOwner(dataDir: string): Promise<ProcessIdentity | undefined> {
  try {
    return ProcessIdentity.parse(JSON.parse(await readFile(ownerPath(dataDir), 'utf8')));
  } catch {
    return undefined;
  }
}

async function writeOwner(dataDir: string, owner: ProcessIdentity): Promise<void> {
  const tmp = `${ownerPath(dataDir)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(owner), { mode: 0o600 });
  await rename(tmp, ownerPath(dataDir));
}
