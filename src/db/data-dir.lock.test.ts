import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { currentProcess } from '../process-identity.js';
import { openDatabase } from './index.js';
import { isDataDirLocked, lockDataDir, takeDataDirLock } from './data-dir.lock.js';

const LOCK_MODULE = fileURLToPath(new URL('./data-dir.lock.ts', import.meta.url));

/** Another process holding the lock on `dir`, as a Sluice process does. */
async function holderProcess(dir: string): Promise<ChildProcess> {
  const script = `const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)}); await lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes('locked')) return child;
  }
  throw new Error(`the lock holder exited: ${out}`);
}

/** A lock left in `dir` by the process `owner` (its heartbeat fresh, as just after a kill). */
function leftLock(dir: string, owner: object): void {
  mkdirSync(path.join(dir, '.lock'));
  writeFileSync(path.join(dir, '.lock-owner.json'), JSON.stringify(owner));
}

describe('embedded data directory lock', () => {
  it('creates the data directory readable by its owner only', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-')), 'data');
    const release = await lockDataDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await release();
  });

  it('lets one holder in and refuses the next until it is released', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-'));
    const release = await lockDataDir(dir);
    expect(await isDataDirLocked(dir)).toBe(true);
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'data_dir_locked' });
    await release();
    expect(await isDataDirLocked(dir)).toBe(false);
    const again = await lockDataDir(dir);
    await again();
  });

  it('keeps a second opener away from an open embedded database, and keeps its data', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-'));
    const first = await openDatabase({ kind: 'pglite', dataDir: dir });
    await first.exec('CREATE TABLE kept (v int); INSERT INTO kept VALUES (7);');
    await expect(openDatabase({ kind: 'pglite', dataDir: dir })).rejects.toMatchObject({ code: 'data_dir_locked' });
    await first.close();
    const second = await openDatabase({ kind: 'pglite', dataDir: dir });
    expect((await second.query<{ v: number }>('SELECT v FROM kept')).rows).toEqual([{ v: 7 }]);
    await second.close();
  });

  it('takes over at once the lock of a process of this machine killed with SIGKILL', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-'));
    const holder = await holderProcess(dir);
    try {
      await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'data_dir_locked', message: expect.stringContaining(`(pid ${holder.pid})`) });
      expect(await isDataDirLocked(dir)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
    // Its heartbeat is fresh, so the lock is far from stale: only the dead owner lets it go.
    expect(await isDataDirLocked(dir)).toBe(false);
    const taken = await takeDataDirLock(dir);
    expect(taken.tookOverFrom).toMatchObject({ pid: holder.pid, host: os.hostname() });
    expect(await isDataDirLocked(dir)).toBe(true);
    await taken.release();
    expect(await isDataDirLocked(dir)).toBe(false);
  }, 30_000);

  it('takes for dead an owner whose pid another process now has (pid reuse)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-'));
    leftLock(dir, { ...currentProcess(), startTicks: '1' });
    const taken = await takeDataDirLock(dir);
    expect(taken.tookOverFrom).toMatchObject({ pid: process.pid, startTicks: '1' });
    await taken.release();
  });

  it("waits for the lock of another machine's process to go stale, naming it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-'));
    leftLock(dir, { host: 'other-host', pid: 4242, startTicks: '1' });
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'data_dir_locked', message: expect.stringContaining('other-host pid 4242') });
    expect(await isDataDirLocked(dir)).toBe(true);
  });

  it('lets exactly one of several openers starting at once take over a dead lock', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-lock-'));
    leftLock(dir, { ...currentProcess(), startTicks: '1' });
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => takeDataDirLock(dir)));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'data_dir_locked' });
    await won[0]!.release();
  });
});
