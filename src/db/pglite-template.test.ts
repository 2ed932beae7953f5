import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedStartParams } from './pglite.database.js';
import { createDataDir, isDataDir, templateDir } from './pglite-template.js';

/** The cluster's identifier: the same in every copy of one template, another after another initdb. */
async function systemIdentifier(pgdata: string): Promise<{ id: string; rows: number | null }> {
  const db = new PGlite(pgdata, { startParams: embeddedStartParams() });
  try {
    const { rows } = await db.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    const kept = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'kept'");
    const count = kept.rows[0]!.n > 0 ? (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM kept')).rows[0]!.n : null;
    return { id: rows[0]!.id, rows: count };
  } finally {
    await db.close();
  }
}

describe('embedded data directories from a template', () => {
  let dir: string;
  const cacheDir = () => path.join(dir, 'cache');
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-template-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the template once (initdb in a child process) and each new data directory as a copy of it', async () => {
    expect(await createDataDir(path.join(dir, 'a'), embeddedStartParams(), { cacheDir: cacheDir() })).toBe('created');
    const template = await templateDir({ cacheDir: cacheDir() });
    expect(await isDataDir(template)).toBe(true);
    expect(await createDataDir(path.join(dir, 'b'), embeddedStartParams(), { cacheDir: cacheDir() })).toBe('created');
    // No staging folder is left behind, in the cache or beside the data directories.
    expect((await readdir(cacheDir())).filter((f) => f.includes('.new-'))).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.includes('.new-'))).toEqual([]);

    const a = await systemIdentifier(path.join(dir, 'a'));
    const b = await systemIdentifier(path.join(dir, 'b'));
    expect(a.id).toBe((await systemIdentifier(template)).id);
    expect(b.id).toBe(a.id);
  }, 120_000);

  it('leaves an existing data directory as it is', async () => {
    const pgdata = path.join(dir, 'existing');
    await createDataDir(pgdata, embeddedStartParams(), { cacheDir: cacheDir() });
    const db = new PGlite(pgdata, { startParams: embeddedStartParams() });
    await db.exec('CREATE TABLE kept (v int); INSERT INTO kept VALUES (1), (2)');
    await db.close();

    expect(await createDataDir(pgdata, embeddedStartParams(), { cacheDir: cacheDir() })).toBe('existing');
    expect((await systemIdentifier(pgdata)).rows).toBe(2);
  });

  it('replaces a folder that never became a database (an initdb that did not finish)', async () => {
    const pgdata = path.join(dir, 'half');
    await mkdir(path.join(pgdata, 'base'), { recursive: true });
    await writeFile(path.join(pgdata, 'postgresql.conf'), '# left by an interrupted initdb\n');
    expect(await createDataDir(pgdata, embeddedStartParams(), { cacheDir: cacheDir() })).toBe('created');
    expect((await systemIdentifier(pgdata)).rows).toBeNull();
  });

  it('runs initdb in a child process when the cache cannot be written', async () => {
    // A file where the cache folder would be: it can be neither made nor written.
    const blocked = path.join(dir, 'not-a-folder');
    await writeFile(blocked, '');
    const pgdata = path.join(dir, 'no-cache');
    expect(await createDataDir(pgdata, embeddedStartParams(), { cacheDir: path.join(blocked, 'cache') })).toBe('created');
    const own = await systemIdentifier(pgdata);
    expect(own.rows).toBeNull();
    // Its own initdb, not a copy of the template.
    expect(own.id).not.toBe((await systemIdentifier(await templateDir({ cacheDir: cacheDir() }))).id);
  }, 120_000);
});
