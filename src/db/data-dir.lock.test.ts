import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './index.js';
import { isDataDirLocked, lockDataDir } from './data-dir.lock.js';

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
});
