import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServerDatabase, describeEachDatabase, TEST_DATABASE_URL } from '../../test/helpers/databases.js';
import { startPgProxy, terminateSluiceBackends, throughProxy } from '../../test/helpers/pg-outage.js';
import type { AppError } from '../errors/index.js';
import { PostgresDatabase } from './postgres.database.js';
import { loadMigrations, migrate } from './migrate.js';

// The conformance suite of the Database interface: both drivers must behave alike.
describeEachDatabase('Database', (fx) => {
  it('runs parameterised queries and returns typed values', async () => {
    const { rows } = await fx.db.query<{ n: number; big: number; at: Date; j: { a: number[] }; t: string | null }>(
      `SELECT $1::int AS n, 9007199254740::bigint AS big, now() AS at, '{"a":[1,2]}'::jsonb AS j, $2::text AS t`,
      [42, null],
    );
    expect(rows[0]).toMatchObject({ n: 42, big: 9007199254740, j: { a: [1, 2] }, t: null });
    expect(rows[0]!.at).toBeInstanceOf(Date);
  });

  it('reports affected rows', async () => {
    await fx.db.exec('CREATE TABLE IF NOT EXISTS conf_rows (v int); DELETE FROM conf_rows;');
    await fx.db.query('INSERT INTO conf_rows VALUES (1), (2), (3)');
    expect((await fx.db.query('UPDATE conf_rows SET v = v + 1 WHERE v > 1')).rowCount).toBe(2);
    expect((await fx.db.query('SELECT * FROM conf_rows')).rowCount).toBe(3);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await fx.db.exec('CREATE TABLE IF NOT EXISTS conf_tx (v int)');
    await fx.db.transaction(async (tx) => {
      await tx.query('INSERT INTO conf_tx VALUES (1)');
    });
    await expect(
      fx.db.transaction(async (tx) => {
        await tx.query('INSERT INTO conf_tx VALUES (2)');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rows } = await fx.db.query<{ v: number }>('SELECT v FROM conf_tx ORDER BY v');
    expect(rows.map((r) => r.v)).toEqual([1]);
  });

  it('reads a result through a cursor in batches, from one snapshot, and lets other work go on between them', async () => {
    await fx.db.exec('CREATE TABLE IF NOT EXISTS conf_cursor (v int); DELETE FROM conf_cursor;');
    await fx.db.query('INSERT INTO conf_cursor SELECT generate_series(1, 25)');
    const batches: number[][] = [];
    for await (const rows of fx.db.cursor<{ v: number }>('SELECT v FROM conf_cursor WHERE v > $1 ORDER BY v', [5], 8)) {
      batches.push(rows.map((r) => r.v));
      // Other work between batches answers (the embedded database does not hold a transaction open)...
      if (batches.length === 1) await fx.db.query('INSERT INTO conf_cursor VALUES (100)');
    }
    // ...and the cursor's result stays the one it started with.
    expect(batches.map((b) => b.length)).toEqual([8, 8, 4]);
    expect(batches.flat()).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));

    // Stopping early closes it: the next cursor and queries run as usual.
    for await (const rows of fx.db.cursor<{ v: number }>('SELECT v FROM conf_cursor ORDER BY v', [], 2)) {
      expect(rows).toHaveLength(2);
      break;
    }
    await expect(async () => {
      for await (const rows of fx.db.cursor('SELECT v / (v - 3) FROM conf_cursor ORDER BY v', [], 1)) void rows;
    }).rejects.toThrow(/division by zero/);
    expect((await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM conf_cursor')).rows[0]!.n).toBe(26);
  });

  it('keeps the metadata tables in schema sluice, found without qualification', async () => {
    const { rows } = await fx.db.query<{ schema: string }>(
      `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'users'`,
    );
    expect(rows.map((r) => r.schema)).toEqual(['sluice']);
    await fx.db.query('SELECT count(*) FROM users');
  });

  it('is idempotent: a second migrate applies nothing', async () => {
    const again = await migrate(fx.db);
    expect(again.applied).toEqual([]);
    expect(again.current).toBe((await loadMigrations()).length);
  });

  it('refuses a recorded migration whose name changed (a rewritten history)', async () => {
    const migrations = await loadMigrations();
    const renamed = migrations.map((m, i) => (i === 0 ? { ...m, name: 'something_else' } : m));
    await expect(migrate(fx.db, renamed)).rejects.toThrow(/recorded as "foundation"/);
  });

  it('applies a new migration once, and rolls back a failing one completely', async () => {
    const migrations = await loadMigrations();
    const next = migrations.length + 1;
    const good = [...migrations, { id: next, name: 'conf_extra', sql: 'CREATE TABLE conf_extra (id int);' }];
    expect((await migrate(fx.db, good)).applied).toEqual([{ id: next, name: 'conf_extra' }]);
    const bad = [...good, { id: next + 1, name: 'conf_broken', sql: 'CREATE TABLE conf_half (id int); SELECT no_such_function();' }];
    await expect(migrate(fx.db, bad)).rejects.toThrow();
    const { rows } = await fx.db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'conf_half'`);
    expect(rows).toEqual([]);
    expect((await migrate(fx.db, good)).applied).toEqual([]);
  });

  if (fx.kind === 'pglite') {
    it('bounds a ping that waits behind a long transaction', async () => {
      // PGlite runs one transaction at a time; a ping queues behind it.
      const long = fx.db.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await new Promise((resolve) => setTimeout(resolve, 600));
      });
      expect(await fx.db.ping(100)).toBe(false);
      await long;
      expect(await fx.db.ping()).toBe(true);
    });
  }

  if (fx.kind === 'postgres') {
    it('says when the server refuses the login, naming the setting to check', async () => {
      const url = new URL(fx.url!);
      url.password = 'wrong-password';
      const wrong = new PostgresDatabase({ url: url.toString(), poolMax: 1 });
      await expect(wrong.query('SELECT 1')).rejects.toMatchObject({ code: 'database_refused', message: expect.stringContaining('DATABASE_URL') });
      await wrong.close();
      const unreachable = new PostgresDatabase({ url: 'postgresql://u:p@127.0.0.1:1/none', poolMax: 1 });
      await expect(unreachable.query('SELECT 1')).rejects.toMatchObject({ code: 'database_unavailable' });
      expect(await unreachable.ping()).toBe(false);
      await unreachable.close();
    });

    // Without a listener on a connection taken out of the pool, its 'error' ends the process.
    it('fails only the transaction whose connection the server terminates, as retryable, and goes on with new connections', async () => {
      const terminate = () => terminateSluiceBackends(TEST_DATABASE_URL!, new URL(fx.url!).pathname.slice(1));
      await fx.db.exec('CREATE TABLE IF NOT EXISTS conf_lost (v int)');
      const held = fx.db.transaction(async (tx) => {
        await tx.query('INSERT INTO conf_lost VALUES (1)');
        expect(await terminate()).toBeGreaterThan(0);
        await tx.query('INSERT INTO conf_lost VALUES (2)');
      });
      const error = (await held.catch((e: unknown) => e)) as AppError;
      expect(error).toMatchObject({ code: 'database_connection_lost', message: expect.stringContaining('57P01') });
      expect(error.retryable).toBe(true);
      expect((await fx.db.query('SELECT count(*)::int AS n FROM conf_lost')).rows).toEqual([{ n: 0 }]);
      await fx.db.query('INSERT INTO conf_lost VALUES (3)');
      expect((await fx.db.query<{ v: number }>('SELECT v FROM conf_lost')).rows).toEqual([{ v: 3 }]);
    });

    it('fails a COPY whose connection the server terminates mid-stream, keeping none of its rows', async () => {
      const terminate = () => terminateSluiceBackends(TEST_DATABASE_URL!, new URL(fx.url!).pathname.slice(1));
      await fx.db.exec('CREATE TABLE IF NOT EXISTS conf_copy_lost (v int)');
      async function* rows() {
        for (let i = 0; i < 1000; i++) yield `${i}\n`;
        await terminate();
        for (let i = 1000; i < 2000; i++) yield `${i}\n`;
      }
      await expect(fx.db.copyFrom('COPY conf_copy_lost (v) FROM STDIN', rows())).rejects.toMatchObject({ code: 'database_connection_lost', message: expect.stringContaining('57P01') });
      expect((await fx.db.query('SELECT count(*)::int AS n FROM conf_copy_lost')).rows).toEqual([{ n: 0 }]);
    });

    it('fails a cursor whose connection the server terminates between two reads, and nothing else', async () => {
      const terminate = () => terminateSluiceBackends(TEST_DATABASE_URL!, new URL(fx.url!).pathname.slice(1));
      const batches = fx.db.cursor<{ n: number }>('SELECT n FROM generate_series(1, 100) AS n', [], 10)[Symbol.asyncIterator]();
      expect((await batches.next()).value).toHaveLength(10);
      // The reader is slow (a client downloading an export): the server ends the connection meanwhile.
      expect(await terminate()).toBeGreaterThan(0);
      await expect(batches.next()).rejects.toMatchObject({ code: 'database_connection_lost', message: expect.stringContaining('57P01') });
      expect((await fx.db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    });

    it('says the database is unavailable while the server cannot be reached, and works again once it can', async () => {
      const proxy = await startPgProxy(fx.url!);
      const db = new PostgresDatabase({ url: throughProxy(fx.url!, proxy), poolMax: 2 });
      try {
        expect(await db.ping()).toBe(true);
        const held = db.transaction(async (tx) => {
          await tx.query('SELECT 1');
          proxy.setUp(false);
          await new Promise((r) => setTimeout(r, 50));
          await tx.query('SELECT 2');
        });
        await expect(held).rejects.toMatchObject({ code: 'database_connection_lost' });
        expect(await db.ping()).toBe(false);
        await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'database_unavailable' });
        proxy.setUp(true);
        expect(await db.ping()).toBe(true);
        expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await db.close();
        await proxy.close();
      }
    });

    it('serialises migrations of processes that start at the same time', async () => {
      // A database of its own: three processes meet it empty, as on a first deployment.
      const fresh = await createServerDatabase();
      const handles = [1, 2, 3].map(() => new PostgresDatabase({ url: fresh.url, poolMax: 2 }));
      try {
        const migrations = await loadMigrations();
        const slow = { id: migrations.length + 1, name: 'conf_race', sql: 'CREATE TABLE conf_race (id int); SELECT pg_sleep(0.3);' };
        const reports = await Promise.all(handles.map((h) => migrate(h, [...migrations, slow])));
        // Exactly one process applied everything; the others waited and found nothing to do.
        expect(reports.filter((r) => r.applied.length > 0)).toHaveLength(1);
        expect(reports.filter((r) => r.applied.length > 0)[0]!.applied).toHaveLength(migrations.length + 1);
        expect(reports.every((r) => r.current === slow.id)).toBe(true);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
        await fresh.drop();
      }
    });
  }
});

describe('loadMigrations', () => {
  it('refuses gaps in the numbering', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-mig-'));
    writeFileSync(path.join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(path.join(dir, '0003_c.sql'), 'SELECT 1;');
    await expect(loadMigrations(dir)).rejects.toThrow(/should be numbered 0002/);
  });
});
