import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, dropWithRetries, TEST_DATABASE_URL } from '../../../test/helpers/databases.js';
import type { SchemaColumn } from '../../mapping/index.js';
import { PostgresDatabase } from '../../db/postgres.database.js';
import { COUNTERS_TABLE, ensureCountersTable } from './catalog.js';
import { createWarehouse, type LoadBatch, type LoadOptions, type Warehouse } from './index.js';

const col = (name: string, type: SchemaColumn['type'], nullable = true): SchemaColumn => ({ name, type, nullable });

async function* batchesOf(...batches: LoadBatch[]): AsyncGenerator<LoadBatch> {
  for (const batch of batches) yield batch;
}

const rowsOnly = (...rows: Record<string, unknown>[]): AsyncGenerator<LoadBatch> => batchesOf({ rows, rejected: [] });

describeEachDatabase('Warehouse', (fx) => {
  const suffix = randomBytes(4).toString('hex');
  // Unique per run: on the server each organisation really gets a database.
  const orgA = `wh_${suffix}`;
  const orgB = `wh-${suffix}-b`;
  const orgC = `wh_${suffix}_c`;
  let warehouse: Warehouse;
  const spoolDir = mkdtempSync(path.join(os.tmpdir(), 'wh-spool-'));

  const options = (over: Partial<LoadOptions> & Pick<LoadOptions, 'columns'>): LoadOptions => ({
    writeMode: 'append',
    runId: 'run-1',
    sourceId: 'file-1',
    ...over,
  });

  const allRows = async (org: string, table: string, orderBy = 'id') => (await warehouse.rows(org, table, { limit: 10_000, orderBy })).rows;

  beforeAll(async () => {
    for (const id of [orgA, orgB, orgC]) await fx.db.query('INSERT INTO orgs (id, name) VALUES ($1, $1)', [id]);
    warehouse = createWarehouse({
      db: fx.db,
      database: fx.kind === 'pglite' ? { kind: 'pglite', dataDir: '(in memory)' } : { kind: 'postgres', url: fx.url!, poolMax: 5 },
      prefix: 'orgdata_',
      spoolDir,
    });
  });

  afterAll(async () => {
    await warehouse?.close();
    await rm(spoolDir, { recursive: true, force: true });
    if (fx.kind === 'postgres') {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        for (const id of [orgA, orgB, orgC]) await dropWithRetries(admin, `orgdata_${id}`);
      } finally {
        await admin.end();
      }
    }
  });

  it('gives each organisation its own database (server) or schema (embedded), created once even when asked concurrently', async () => {
    const second = createWarehouse({
      db: fx.db,
      database: fx.kind === 'pglite' ? { kind: 'pglite', dataDir: '(in memory)' } : { kind: 'postgres', url: fx.url!, poolMax: 2 },
      prefix: 'orgdata_',
    });
    try {
      const [a, b] = await Promise.all([warehouse.location(orgC), second.location(orgC)]);
      expect(a.schema).toBe(b.schema);
      if (fx.kind === 'postgres') {
        expect(a.schema).toBe('public');
        const { rows } = await fx.db.query('SELECT datname FROM pg_database WHERE datname = $1', [`orgdata_${orgC}`]);
        expect(rows).toHaveLength(1);
        const { rows: inside } = await a.db.query<{ db: string }>('SELECT current_database() AS db');
        expect(inside[0]!.db).toBe(`orgdata_${orgC}`);
      } else {
        expect(a.schema).toBe(`orgdata_${orgC}`);
        const { rows } = await fx.db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [`orgdata_${orgC}`]);
        expect(rows).toHaveLength(1);
      }
    } finally {
      await second.close();
    }
    await expect(warehouse.location('no_such_org')).rejects.toMatchObject({ code: 'not_found' });
    await expect(warehouse.location('Bad Org; DROP')).rejects.toMatchObject({ code: 'invalid_config' });
  });

  it('makes the counters table once when many connections ask at the same moment', async () => {
    if (fx.kind !== 'postgres') return; // one connection: nothing races
    const racers = new PostgresDatabase({ url: fx.url!, poolMax: 8, applicationName: 'counters-race' });
    try {
      // Open every connection first, so the racers start together.
      await Promise.all(Array.from({ length: 8 }, () => racers.query('SELECT pg_sleep(0.05)')));
      for (let round = 0; round < 20; round++) {
        const schema = `counters_race_${suffix}_${round}`;
        await racers.query(`CREATE SCHEMA ${schema}`);
        try {
          await Promise.all(Array.from({ length: 8 }, () => ensureCountersTable(racers, schema)));
          const { rows } = await racers.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schema, COUNTERS_TABLE]);
          expect(rows).toHaveLength(1);
        } finally {
          await racers.query(`DROP SCHEMA ${schema} CASCADE`);
        }
      }
    } finally {
      await racers.close();
    }
  });

  it('creates a table with the mapped types and Sluice columns, and records it', async () => {
    const def = await warehouse.ensureTable(
      orgA,
      'typed',
      [col('id', 'integer', false), col('name', 'string'), col('price', 'number'), col('active', 'boolean'), col('day', 'date'), col('at', 'timestamp'), col('meta', 'json')],
      { primaryKey: ['id'] },
    );
    expect(def).toMatchObject({ name: 'typed', created: true, primaryKey: ['id'], added: [], widened: [] });
    const { db, schema } = await warehouse.location(orgA);
    const { rows } = await db.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'typed' ORDER BY ordinal_position`,
      [schema],
    );
    expect(rows.map((r) => [r.column_name, r.data_type])).toEqual([
      ['id', 'bigint'],
      ['name', 'text'],
      ['price', 'numeric'],
      ['active', 'boolean'],
      ['day', 'date'],
      ['at', 'timestamp with time zone'],
      ['meta', 'jsonb'],
      ['_sluice_run_id', 'text'],
      ['_sluice_source_id', 'text'],
      ['_sluice_row_number', 'integer'],
      ['_sluice_loaded_at', 'timestamp with time zone'],
    ]);
    const tables = await warehouse.listTables(orgA);
    expect(tables.find((t) => t.name === 'typed')).toMatchObject({
      rowCount: 0,
      rejectedCount: 0,
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'string' },
        { name: 'price', type: 'number' },
        { name: 'active', type: 'boolean' },
        { name: 'day', type: 'date' },
        { name: 'at', type: 'timestamp' },
        { name: 'meta', type: 'json' },
      ],
    });
    // Asking again changes nothing.
    expect(await warehouse.ensureTable(orgA, 'typed', [col('id', 'integer')])).toMatchObject({ created: false, added: [], widened: [] });
  });

  it('evolves a table: adds columns, widens integer → number → string keeping values, never narrows', async () => {
    await warehouse.load(orgA, 'evolve', rowsOnly({ id: 1, qty: 5, day: '2024-02-29' }, { id: 2, qty: 9007199254740993n.toString(), day: null }), options({
      columns: [col('id', 'integer'), col('qty', 'integer'), col('day', 'date')],
    }));
    const added = await warehouse.ensureTable(orgA, 'evolve', [col('id', 'integer'), col('note', 'string'), col('qty', 'number'), col('day', 'timestamp')]);
    expect(added.added).toEqual(['note']);
    expect(added.widened).toEqual([
      { name: 'qty', from: 'integer', to: 'number' },
      { name: 'day', from: 'date', to: 'timestamp' },
    ]);
    expect(await allRows(orgA, 'evolve')).toMatchObject([
      { id: 1, qty: 5, day: '2024-02-29T00:00:00.000Z', note: null },
      { id: 2, qty: '9007199254740993', day: null },
    ]);
    const widened = await warehouse.ensureTable(orgA, 'evolve', [col('qty', 'string'), col('day', 'string')]);
    expect(widened.widened).toEqual([
      { name: 'qty', from: 'number', to: 'string' },
      { name: 'day', from: 'timestamp', to: 'string' },
    ]);
    // Never narrowed: integers arriving at a text column are written as text.
    const narrow = await warehouse.ensureTable(orgA, 'evolve', [col('qty', 'integer'), col('id', 'string')]);
    expect(narrow.widened).toEqual([{ name: 'id', from: 'integer', to: 'string' }]);
    await warehouse.load(orgA, 'evolve', rowsOnly({ id: '3', qty: 42, day: '2024-03-01T10:00:00.000Z' }), options({
      sourceId: 'file-2',
      columns: [col('id', 'string'), col('qty', 'integer'), col('day', 'timestamp')],
    }));
    expect(await allRows(orgA, 'evolve')).toMatchObject([
      { id: '1', qty: '5', day: '2024-02-29T00:00:00.000Z' },
      { id: '2', qty: '9007199254740993', day: null },
      { id: '3', qty: '42', day: '2024-03-01T10:00:00.000Z' },
    ]);
    const table = (await warehouse.listTables(orgA)).find((t) => t.name === 'evolve')!;
    expect(table.columns).toEqual([
      { name: 'id', type: 'string' },
      { name: 'qty', type: 'string' },
      { name: 'day', type: 'string' },
      { name: 'note', type: 'string' },
    ]);
    // Anything widens to json, losslessly.
    await warehouse.ensureTable(orgA, 'evolve', [col('qty', 'json')]);
    expect((await allRows(orgA, 'evolve')).map((r) => r.qty)).toEqual(['5', '9007199254740993', '42']);
  });

  it('append: a source loaded twice replaces its rows and rejected rows instead of duplicating them', async () => {
    const columns = [col('id', 'integer'), col('name', 'string')];
    const first = await warehouse.load(
      orgA,
      'appended',
      batchesOf({ rows: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], rejected: [{ raw: { id: 'x' }, field: 'id', reason: 'bad', rowNumber: 3 }] }),
      options({ columns }),
    );
    expect(first).toEqual({ loaded: 2, rejected: 1 });
    await warehouse.load(orgA, 'appended', rowsOnly({ id: 10, name: 'other source' }), options({ columns, sourceId: 'file-2' }));
    const again = await warehouse.load(
      orgA,
      'appended',
      batchesOf({ rows: [{ id: 1, name: 'a2' }, { id: 2, name: 'b2' }], rejected: [{ raw: { id: 'x' }, field: 'id', reason: 'bad', rowNumber: 3 }] }),
      options({ columns, runId: 'run-2' }),
    );
    expect(again).toEqual({ loaded: 2, rejected: 1 });
    const rows = await allRows(orgA, 'appended');
    expect(rows.map((r) => [r.id, r.name, r._sluice_run_id, r._sluice_source_id])).toEqual([
      [1, 'a2', 'run-2', 'file-1'],
      [2, 'b2', 'run-2', 'file-1'],
      [10, 'other source', 'run-1', 'file-2'],
    ]);
    const rejected = await warehouse.rejected(orgA, 'appended');
    expect(rejected.total).toBe(1);
    expect(rejected.rows[0]).toMatchObject({ raw: { id: 'x' }, field: 'id', reason: 'bad', runId: 'run-2', sourceId: 'file-1', rowNumber: 3 });
    expect((await warehouse.listTables(orgA)).find((t) => t.name === 'appended')).toMatchObject({ rowCount: 3, rejectedCount: 1 });
  });

  it('runs concurrent loads of one table one after the other, with exact counts', async () => {
    const columns = [col('id', 'integer'), col('src', 'string')];
    const many = (src: string, n: number) => rowsOnly(...Array.from({ length: n }, (_, i) => ({ id: i, src })));
    const results = await Promise.all([
      warehouse.load(orgA, 'concurrent', many('a', 300), options({ columns, sourceId: 'a' })),
      warehouse.load(orgA, 'concurrent', many('b', 200), options({ columns, sourceId: 'b' })),
      warehouse.load(orgA, 'concurrent', many('c', 100), options({ columns: [...columns, col('extra', 'string')], sourceId: 'c' })),
      warehouse.load(orgA, 'concurrent', many('a', 50), options({ columns, sourceId: 'a', runId: 'run-2' })),
    ]);
    expect(results.map((r) => r.loaded)).toEqual([300, 200, 100, 50]);
    const table = (await warehouse.listTables(orgA)).find((t) => t.name === 'concurrent')!;
    const { total } = await warehouse.rows(orgA, 'concurrent', { limit: 1 });
    // Source a was loaded twice: whichever ran last, its rows replaced the other's.
    expect([350, 600]).toContain(total);
    expect(table.rowCount).toBe(total);
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'src', 'extra']);
  });

  it('upsert: the last occurrence of a key wins, within a batch, across batches and over earlier loads', async () => {
    const columns = [col('id', 'integer'), col('name', 'string'), col('qty', 'integer')];
    const first = await warehouse.load(
      orgA,
      'upserted',
      batchesOf(
        { rows: [{ id: 1, name: 'one', qty: 1 }, { id: 2, name: 'two', qty: 2 }, { id: 1, name: 'one again', qty: 11 }], rejected: [] },
        { rows: [{ id: 2, name: 'two again', qty: 22 }, { id: 3, name: 'three', qty: 3 }], rejected: [] },
      ),
      options({ columns, writeMode: 'upsert', primaryKey: ['id'] }),
    );
    expect(first).toEqual({ loaded: 5, rejected: 0 });
    expect((await allRows(orgA, 'upserted')).map((r) => [r.id, r.name, r.qty])).toEqual([
      [1, 'one again', 11],
      [2, 'two again', 22],
      [3, 'three', 3],
    ]);
    // A later load updates only the columns it carries; a row without its key is rejected.
    const second = await warehouse.load(
      orgA,
      'upserted',
      rowsOnly({ id: 3, name: 'three updated' }, { id: 4, name: 'four' }, { name: 'no key' }),
      options({ columns: [col('id', 'integer'), col('name', 'string')], writeMode: 'upsert', sourceId: 'file-2', runId: 'run-2' }),
    );
    expect(second).toEqual({ loaded: 2, rejected: 1 });
    expect((await allRows(orgA, 'upserted')).map((r) => [r.id, r.name, r.qty, r._sluice_run_id])).toEqual([
      [1, 'one again', 11, 'run-1'],
      [2, 'two again', 22, 'run-1'],
      [3, 'three updated', 3, 'run-2'],
      [4, 'four', null, 'run-2'],
    ]);
    const rejected = await warehouse.rejected(orgA, 'upserted');
    expect(rejected.rows).toMatchObject([{ field: 'id', reason: 'the primary key column is empty', raw: { name: 'no key' } }]);
    expect((await warehouse.listTables(orgA)).find((t) => t.name === 'upserted')).toMatchObject({ rowCount: 4, rejectedCount: 1 });
  });

  it('refuses upsert without a key, and a load that changes the key unless it replaces the table', async () => {
    await expect(
      warehouse.load(orgA, 'nokey', rowsOnly({ id: 1 }), options({ columns: [col('id', 'integer')], writeMode: 'upsert' })),
    ).rejects.toMatchObject({ code: 'invalid_config', status: 422, message: expect.stringContaining('needs a primary key') });
    await expect(
      warehouse.load(orgA, 'upserted', rowsOnly({ id: 1, name: 'x' }), options({ columns: [col('id', 'integer'), col('name', 'string')], writeMode: 'upsert', primaryKey: ['name'] })),
    ).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('cannot change it') });
    await expect(
      warehouse.load(orgA, 'upserted', rowsOnly({ name: 'x' }), options({ columns: [col('name', 'string')], writeMode: 'upsert' })),
    ).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('"id" is not among the columns') });
    // Nothing of the refused loads was created.
    expect((await warehouse.listTables(orgA)).map((t) => t.name)).not.toContain('nokey');
  });

  it('append on a keyed table: keys another source loaded are rejected with the reason, not overwritten', async () => {
    const columns = [col('sku', 'string'), col('qty', 'integer')];
    await warehouse.load(orgA, 'stock', rowsOnly({ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }), options({ columns, primaryKey: ['sku'] }));
    const result = await warehouse.load(orgA, 'stock', rowsOnly({ sku: 'B', qty: 20 }, { sku: 'C', qty: 3 }, { sku: 'C', qty: 30 }), options({ columns, sourceId: 'file-2' }));
    expect(result).toEqual({ loaded: 2, rejected: 1 });
    expect((await allRows(orgA, 'stock', 'sku')).map((r) => [r.sku, r.qty])).toEqual([
      ['A', 1],
      ['B', 2],
      ['C', 30],
    ]);
    const rejected = await warehouse.rejected(orgA, 'stock');
    expect(rejected.rows).toMatchObject([{ field: 'sku', raw: { sku: 'B', qty: 20 }, reason: expect.stringContaining('already holds a row') }]);
    // Reloading the first source is not a conflict with itself.
    expect(await warehouse.load(orgA, 'stock', rowsOnly({ sku: 'A', qty: 100 }), options({ columns }))).toEqual({ loaded: 1, rejected: 0 });
  });

  it('replace: swaps in the new rows atomically; a load failing midway leaves the old table as it was', async () => {
    const columns = [col('id', 'integer'), col('name', 'string')];
    await warehouse.load(orgA, 'replaced', rowsOnly({ id: 1, name: 'old 1' }, { id: 2, name: 'old 2' }, { id: 3, name: 'old 3' }), options({ columns, writeMode: 'replace' }));
    const result = await warehouse.load(
      orgA,
      'replaced',
      batchesOf({ rows: [{ id: 7, name: 'new 7' }, { id: 8, name: 'new 8' }], rejected: [{ raw: 'bad line', field: null, reason: 'ragged row' }] }),
      options({ columns, writeMode: 'replace', sourceId: 'file-2', runId: 'run-2' }),
    );
    expect(result).toEqual({ loaded: 2, rejected: 1 });
    expect((await allRows(orgA, 'replaced')).map((r) => r.name)).toEqual(['new 7', 'new 8']);

    async function* failing(): AsyncGenerator<LoadBatch> {
      yield { rows: Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `half ${i}`, extra: 'x' })), rejected: [] };
      throw new Error('the source broke');
    }
    await expect(
      warehouse.load(orgA, 'replaced', failing(), options({ columns: [...columns, col('extra', 'string')], writeMode: 'replace', sourceId: 'file-3' })),
    ).rejects.toThrow('the source broke');
    expect((await allRows(orgA, 'replaced')).map((r) => r.name)).toEqual(['new 7', 'new 8']);
    const table = (await warehouse.listTables(orgA)).find((t) => t.name === 'replaced')!;
    expect(table).toMatchObject({ rowCount: 2, rejectedCount: 1 });
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'name']);
    // No swap table is left behind.
    const { db, schema } = await warehouse.location(orgA);
    const { rows } = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '\\_sluice\\_swap%'`, [schema]);
    expect(rows).toEqual([]);
    // A replace may set a new key; duplicates of it within the load collapse to the last.
    await warehouse.load(orgA, 'replaced', rowsOnly({ id: 1, name: 'a' }, { id: 1, name: 'b' }), options({ columns, writeMode: 'replace', primaryKey: ['id'] }));
    expect((await allRows(orgA, 'replaced')).map((r) => r.name)).toEqual(['b']);
    expect((await warehouse.listTables(orgA)).find((t) => t.name === 'replaced')).toMatchObject({ primaryKey: ['id'], rowCount: 1, rejectedCount: 0 });
  });

  it.runIf(fx.kind === 'postgres')('replace: readers see the old rows until the new ones are committed', async () => {
    const columns = [col('id', 'integer')];
    await warehouse.load(orgA, 'swapping', rowsOnly({ id: 1 }, { id: 2 }), options({ columns, writeMode: 'replace' }));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let halfway!: () => void;
    const reached = new Promise<void>((resolve) => (halfway = resolve));
    async function* slow(): AsyncGenerator<LoadBatch> {
      yield { rows: Array.from({ length: 1000 }, (_, i) => ({ id: 100 + i })), rejected: [] };
      halfway();
      await gate;
      yield { rows: [{ id: 5000 }], rejected: [] };
    }
    const loading = warehouse.load(orgA, 'swapping', slow(), options({ columns, writeMode: 'replace', sourceId: 'file-2' }));
    await reached;
    expect((await warehouse.rows(orgA, 'swapping', { limit: 10 })).total).toBe(2);
    release();
    expect(await loading).toEqual({ loaded: 1001, rejected: 0 });
    expect((await warehouse.rows(orgA, 'swapping', { limit: 10 })).total).toBe(1001);
  });

  it('rejects rows whose values do not fit, with field and reason, and keeps received = loaded + rejected', async () => {
    const columns = [col('id', 'integer'), col('name', 'string'), col('day', 'date'), col('at', 'timestamp'), col('meta', 'json'), col('ok', 'boolean'), col('price', 'number')];
    const rows: Record<string, unknown>[] = [
      { id: 1, name: 'fine', day: '2024-01-31', at: '2024-01-31T12:00:00.000Z', meta: { a: 1 }, ok: true, price: 1.5 },
      { id: 'abc', name: 'bad id' },
      { id: 3, name: 'nul \u0000 inside' },
      { id: 4, day: '2023-02-30' },
      { id: 5, at: 'yesterday' },
      { id: 6, meta: { text: 'nul \u0000' } },
      { id: 7, name: 'lone \ud800 surrogate' },
      { id: 8, unknown_field: 'where does this go?' },
      { id: 9, ok: 'maybe' },
      { id: 10, price: Number.NaN },
      { id: '99999999999999999999' },
      // Convertible values are converted, not rejected.
      { id: '12', name: 42, day: '2024-05-06T23:00:00-02:00', at: 1_700_000_000, ok: 'yes', price: '12.50' },
    ];
    const rejectedIn = [
      { raw: 'line 13', field: null, reason: 'ragged row', rowNumber: 13 },
      { raw: { nul: 'a\u0000b' }, field: 'nul', reason: 'raw holding NUL is still stored' },
    ];
    const result = await warehouse.load(orgA, 'misfits', batchesOf({ rows: rows.slice(0, 6), rejected: rejectedIn }, { rows: rows.slice(6), rejected: [] }), options({ columns }));
    const received = rows.length + rejectedIn.length;
    expect(result.loaded + result.rejected).toBe(received);
    expect(result).toEqual({ loaded: 2, rejected: received - 2 });
    expect(await allRows(orgA, 'misfits')).toMatchObject([
      { id: 1, name: 'fine', day: '2024-01-31', at: '2024-01-31T12:00:00.000Z', meta: { a: 1 }, ok: true, price: 1.5, _sluice_row_number: 1 },
      { id: 12, name: '42', day: '2024-05-06', at: '2023-11-14T22:13:20.000Z', ok: true, price: 12.5, _sluice_row_number: 12 },
    ]);
    const rejected = await warehouse.rejected(orgA, 'misfits', { limit: 100 });
    expect(rejected.total).toBe(received - 2);
    const byRow = new Map(rejected.rows.map((r) => [r.rowNumber, r]));
    expect(byRow.get(2)).toMatchObject({ field: 'id', reason: expect.stringContaining('not an integer'), raw: { id: 'abc', name: 'bad id' } });
    expect(byRow.get(3)).toMatchObject({ field: 'name', reason: expect.stringContaining('NUL') });
    expect(byRow.get(3)!.raw).toEqual({ id: 3, name: 'nul \\u0000 inside' });
    expect(byRow.get(4)).toMatchObject({ field: 'day', reason: expect.stringContaining('not a valid date') });
    expect(byRow.get(5)).toMatchObject({ field: 'at', reason: expect.stringContaining('not a timestamp') });
    expect(byRow.get(6)).toMatchObject({ field: 'meta', reason: expect.stringContaining('NUL') });
    expect(byRow.get(7)).toMatchObject({ field: 'name', reason: expect.stringContaining('surrogate') });
    expect(byRow.get(8)).toMatchObject({ field: 'unknown_field', reason: expect.stringContaining('not a column') });
    expect(byRow.get(9)).toMatchObject({ field: 'ok', reason: expect.stringContaining('not a boolean') });
    expect(byRow.get(10)).toMatchObject({ field: 'price', reason: expect.stringContaining('not a finite number') });
    expect(byRow.get(11)).toMatchObject({ field: 'id', reason: expect.stringContaining('out of range') });
    expect(byRow.get(13)).toMatchObject({ raw: 'line 13', field: null, reason: 'ragged row', runId: 'run-1' });
    expect(rejected.rows.find((r) => r.field === 'nul')?.raw).toEqual({ nul: 'a\\u0000b' });
    expect((await warehouse.listTables(orgA)).find((t) => t.name === 'misfits')).toMatchObject({ rowCount: 2, rejectedCount: received - 2 });
  });

  it('writes tricky text and JSON through COPY exactly, and NULL only for null', async () => {
    const tricky = [
      'tab\there',
      'new\nline and\r\ncrlf',
      'back\\slash \\N \\t \\\\ end\\',
      `"double" 'single' ""`,
      '\\.',
      'comma, semicolon; pipe|',
      'unicode: é ü ß 中文 العربية',
      'emoji: 😀👍🏽🇫🇷',
      '',
      ' leading and trailing ',
      'x'.repeat(1_000_000),
    ];
    const json: unknown[] = [
      { nested: { a: [1, 2, { b: 'c\\d' }] }, quote: '"q"', newline: 'a\nb', tab: '\t', uni: '😀' },
      [1, 'two', null, true],
      'just a string with \\ and "',
      42.5,
      false,
      { '\\key': 'literal \\u0000 text' },
    ];
    const columns = [col('id', 'integer'), col('text', 'string'), col('doc', 'json')];
    const rows = [
      ...tricky.map((text, i) => ({ id: i, text, doc: json[i % json.length] })),
      { id: 100, text: null, doc: null },
      { id: 101 },
    ];
    expect(await warehouse.load(orgA, 'tricky', rowsOnly(...rows), options({ columns }))).toEqual({ loaded: rows.length, rejected: 0 });
    const back = await allRows(orgA, 'tricky');
    // The megabyte of text is compared by value but shown by length when it differs.
    const shown = (v: unknown) => (typeof v === 'string' && v.length > 1000 ? `${v.length} chars, equal: ${v === tricky.at(-1)}` : v);
    expect(back.map((r) => shown(r.text))).toEqual([...tricky, null, null].map(shown));
    expect(back.map((r) => r.doc)).toEqual([...tricky.map((_, i) => json[i % json.length]), null, null]);
  });

  it('returns JSON-safe values: exact numbers as numbers, others as strings, ISO dates', async () => {
    const columns = [col('id', 'integer'), col('big', 'integer'), col('amount', 'number'), col('day', 'date'), col('at', 'timestamp')];
    await warehouse.load(
      orgA,
      'safe',
      rowsOnly(
        { id: 1, big: '9223372036854775807', amount: '12345678901234567890.123456789', day: '0001-01-01', at: '9999-12-31T23:59:59.999Z' },
        { id: 2, big: -9007199254740991, amount: 0.1, day: '2024-02-29', at: '1970-01-01T00:00:00.000Z' },
      ),
      options({ columns }),
    );
    expect(await allRows(orgA, 'safe')).toMatchObject([
      { id: 1, big: '9223372036854775807', amount: '12345678901234567890.123456789', day: '0001-01-01', at: '9999-12-31T23:59:59.999Z' },
      { id: 2, big: -9007199254740991, amount: 0.1, day: '2024-02-29', at: '1970-01-01T00:00:00.000Z' },
    ]);
  });

  it('pages rows with orderBy (descending with -, Sluice columns too) and refuses unknown columns', async () => {
    const page = await warehouse.rows(orgA, 'upserted', { limit: 2, offset: 1, orderBy: '-id' });
    expect(page.total).toBe(4);
    expect(page.rows.map((r) => r.id)).toEqual([3, 2]);
    expect(Object.keys(page.rows[0]!)).toEqual(['id', 'name', 'qty', '_sluice_run_id', '_sluice_source_id', '_sluice_row_number', '_sluice_loaded_at']);
    expect((await warehouse.rows(orgA, 'upserted', { orderBy: '-_sluice_row_number' })).rows).toHaveLength(4);
    await expect(warehouse.rows(orgA, 'upserted', { orderBy: 'nope' })).rejects.toMatchObject({ code: 'validation_failed', status: 400 });
    await expect(warehouse.rows(orgA, 'upserted', { orderBy: 'id; DROP TABLE x' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(warehouse.rows(orgA, 'upserted', { limit: 0 })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('loads 200,000 rows in batches', async () => {
    const total = 200_000;
    const batchSize = 10_000;
    async function* generate(): AsyncGenerator<LoadBatch> {
      for (let start = 0; start < total; start += batchSize) {
        const rows: Record<string, unknown>[] = [];
        for (let i = start; i < start + batchSize; i++) {
          rows.push({ id: i, name: `name ${i}, "quoted"\n${i % 7}`, amount: i / 100, day: '2024-01-02', at: '2024-01-02T03:04:05.678Z', ok: i % 2 === 0, meta: { i } });
        }
        yield { rows, rejected: i0(start) };
      }
    }
    const i0 = (start: number) => (start === 0 ? [{ raw: 'x', field: null, reason: 'one rejected' }] : []);
    const columns = [col('id', 'integer'), col('name', 'string'), col('amount', 'number'), col('day', 'date'), col('at', 'timestamp'), col('ok', 'boolean'), col('meta', 'json')];
    expect(await warehouse.load(orgA, 'big', generate(), options({ columns }))).toEqual({ loaded: total, rejected: 1 });
    const { db, schema } = await warehouse.location(orgA);
    // Decimals arrive exactly: the sum of i/100 is exact in numeric.
    const { rows } = await db.query<{ n: number; exact: boolean; ids: number }>(
      `SELECT count(*)::int AS n, sum(amount) = $1::numeric AS exact, count(DISTINCT id)::int AS ids FROM "${schema}".big`,
      [String((total * (total - 1)) / 2 / 100)],
    );
    expect(rows[0]).toEqual({ n: total, exact: true, ids: total });
    expect((await warehouse.listTables(orgA)).find((t) => t.name === 'big')).toMatchObject({ rowCount: total, rejectedCount: 1 });
  }, 120_000);

  it('isolates organisations: the same table name holds each its own rows, and another org’s table is not_found', async () => {
    const columns = [col('id', 'integer'), col('who', 'string')];
    await warehouse.load(orgA, 'shared_name', rowsOnly({ id: 1, who: 'A' }), options({ columns }));
    await warehouse.load(orgB, 'shared_name', rowsOnly({ id: 1, who: 'B' }, { id: 2, who: 'B' }), options({ columns }));
    expect((await allRows(orgA, 'shared_name')).map((r) => r.who)).toEqual(['A']);
    expect((await allRows(orgB, 'shared_name')).map((r) => r.who)).toEqual(['B', 'B']);
    await expect(warehouse.rows(orgB, 'upserted')).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await expect(warehouse.rejected(orgB, 'upserted')).rejects.toMatchObject({ code: 'not_found' });
    await expect(warehouse.rows(orgB, 'no_such_table')).rejects.toMatchObject({ code: 'not_found' });
    // Names that could reach another schema are simply not found.
    for (const name of [`orgdata_${orgA}.upserted`, '"upserted"', '../upserted', 'upserted__rejected']) {
      await expect(warehouse.rows(orgB, name)).rejects.toMatchObject({ code: 'not_found' });
    }
    expect((await warehouse.listTables(orgB)).map((t) => t.name)).toEqual(['shared_name']);
    if (fx.kind === 'postgres') {
      const { db } = await warehouse.location(orgB);
      const { rows } = await db.query<{ db: string }>('SELECT current_database() AS db');
      expect(rows[0]!.db).toBe(`orgdata_${orgB}`);
    }
  });

  it('loads batches that are read from the same database meanwhile (raw → typed), leaving no spool behind', async () => {
    await fx.db.exec('CREATE TABLE IF NOT EXISTS wh_source_rows (n int)');
    await fx.db.query('INSERT INTO wh_source_rows SELECT generate_series(1, 2500)');
    async function* fromDatabase(): AsyncGenerator<LoadBatch> {
      for (let offset = 0; offset < 2500; offset += 1000) {
        // On the embedded database this query would wait forever behind an open load transaction.
        const { rows } = await fx.db.query<{ n: number }>('SELECT n FROM wh_source_rows ORDER BY n LIMIT 1000 OFFSET $1', [offset]);
        yield { rows: rows.map((r) => ({ n: r.n })), rejected: [], rowNumbers: rows.map((r) => r.n) };
      }
    }
    const result = await warehouse.load(orgA, 'from_db', fromDatabase(), options({ columns: [col('n', 'integer')] }));
    expect(result).toEqual({ loaded: 2500, rejected: 0 });
    const page = await warehouse.rows(orgA, 'from_db', { limit: 1, orderBy: '-_sluice_row_number' });
    expect(page).toMatchObject({ total: 2500, rows: [{ n: 2500, _sluice_row_number: 2500 }] });
    expect((await readdir(spoolDir)).filter((f) => f.startsWith('sluice-load-'))).toEqual([]);
  });

  it('refuses bad table and column names with a 422 that names them', async () => {
    const bad = ['Orders', 'order items', 'x; DROP TABLE users', '1st', '_sluice_x', 'a__b', 'x__rejected', 'a'.repeat(54), 'café', ''];
    for (const table of bad) {
      await expect(warehouse.ensureTable(orgA, table, [col('id', 'integer')])).rejects.toMatchObject({
        code: 'invalid_config',
        status: 422,
        message: expect.stringContaining(`table name ${JSON.stringify(table.length > 80 ? table.slice(0, 80) + '…' : table)}`),
      });
    }
    await expect(warehouse.ensureTable(orgA, 'Order Items', [col('id', 'integer')])).rejects.toMatchObject({
      message: expect.stringContaining('"order_items"'),
    });
    for (const column of ['Name', 'a-b', '"; DROP', '_sluice_run_id', 'x'.repeat(64)]) {
      await expect(warehouse.load(orgA, 'names', rowsOnly({}), options({ columns: [col(column, 'string')] }))).rejects.toMatchObject({
        code: 'invalid_config',
        status: 422,
        message: expect.stringContaining('column name'),
      });
    }
    await expect(
      warehouse.load(orgA, 'names', rowsOnly({}), options({ columns: [col('a', 'string'), col('a', 'integer')] })),
    ).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('twice') });
    await expect(warehouse.load(orgA, 'names', rowsOnly({}), options({ columns: [col('a', 'string')], primaryKey: ['Bad'] }))).rejects.toMatchObject({
      code: 'invalid_config',
    });
    // Reserved words and names that look like SQL are fine once quoted.
    await warehouse.load(orgA, 'select', rowsOnly({ from: 1, constructor: 'c', order: 'o' }), options({ columns: [col('from', 'integer'), col('constructor', 'string'), col('order', 'string')] }));
    expect(await allRows(orgA, 'select', 'from')).toMatchObject([{ from: 1, constructor: 'c', order: 'o' }]);
    await warehouse.load(orgA, 'select', rowsOnly({ from: 2 }), options({ sourceId: 'file-2', columns: [col('from', 'integer'), col('constructor', 'string')] }));
    expect((await allRows(orgA, 'select', 'from'))[1]).toMatchObject({ from: 2, constructor: null });
  });
});
