/**
 * bench/raw-store: how to land raw records in PostgreSQL cheaply.
 *
 * Writes N generated records (mixed types, quoted text, newlines) in batches
 * through each candidate statement and table layout, then reads them all back
 * by watermark (keyset pages), on the embedded database (PGlite) and, when a
 * server URL is given, on PostgreSQL. Prints rows/s for write, read and the
 * whole raw hop (write + read), and the megabytes on disk after the write
 * (tables, indexes, TOAST). The last rows of each table are the real
 * PostgresRawStore (the chosen design as shipped): first written like the
 * variants, in calls of --batch records, then in calls of 20,000 records
 * stored as segments of three sizes.
 *
 * Run: npx tsx bench/raw-store.ts [--rows 200000] [--batch 5000] [--repeat 2] [--url postgresql://...] [--only pglite|postgres]
 * Each variant runs --repeat times on a fresh table and the best run is shown
 * (other work on the machine only ever slows a run down).
 * The server URL defaults to TEST_DATABASE_URL, then DATABASE_URL. A throwaway
 * database is created on the server (the role needs CREATEDB) and dropped after.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate, PgliteDatabase, PostgresDatabase, type Database } from '../src/db/index.js';
import { PostgresRawStore, WRITE_CHUNK } from '../src/stores/raw/index.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '5000' },
    repeat: { type: 'string', default: '2' },
    url: { type: 'string' },
    only: { type: 'string' },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const REPEAT = Number(values.repeat);
const SERVER_URL = values.url ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

const ORG = 'bench';
const TABLE = 'orders';
const KIND = 'file';
const SOURCE = '5f0c6f8e-5a7e-4d8b-9d43-3c8c1f0e2a11';

/** One record as a CSV reader would give it: ~230 bytes of JSON. */
function record(i: number): Record<string, unknown> {
  return {
    id: i,
    sku: `SKU-${String(i % 100_000).padStart(6, '0')}`,
    name: `Widget, "large" ${i % 977}`,
    qty: i % 50,
    price: Math.round(i * 7.31) / 100,
    active: i % 3 !== 0,
    created_at: '2025-03-04T05:06:07Z',
    note: i % 10 === 0 ? 'first line\nsecond line' : null,
    category: `cat-${i % 17}`,
    ratio: (i % 1000) / 1000,
  };
}

interface Batch {
  rowNumbers: number[];
  data: unknown[];
}

function* batches(size = BATCH): Generator<Batch> {
  for (let start = 1; start <= ROWS; start += size) {
    const rowNumbers: number[] = [];
    const data: unknown[] = [];
    for (let n = start; n < Math.min(start + size, ROWS + 1); n++) {
      rowNumbers.push(n);
      data.push(record(n));
    }
    yield { rowNumbers, data };
  }
}

interface Variant {
  name: string;
  ddl: string;
  write(db: Database, batch: Batch): Promise<void>;
  /** Reads every row back in keyset pages; returns how many rows. Absent for the reference. */
  read?: (db: Database) => Promise<number>;
}

// ---------------------------------------------------------------------------
// Layout A: the first draft of 0003: one row per record, bigserial watermark,
// a per-row FK to orgs and three b-tree indexes.

const layoutA = (type: 'jsonb' | 'json') => `
  CREATE TABLE a_orgs (id text PRIMARY KEY);
  INSERT INTO a_orgs VALUES ('${ORG}');
  CREATE TABLE a_raw (
    watermark bigserial PRIMARY KEY,
    org_id text NOT NULL REFERENCES a_orgs (id) ON DELETE CASCADE,
    table_name text NOT NULL,
    source_kind text NOT NULL CHECK (source_kind IN ('file', 'run')),
    source_id text NOT NULL,
    row_number integer NOT NULL,
    data ${type} NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE UNIQUE INDEX a_raw_key ON a_raw (org_id, table_name, source_kind, source_id, row_number);
  CREATE INDEX a_raw_wm ON a_raw (org_id, table_name, watermark);
  CREATE INDEX a_raw_ing ON a_raw (org_id, ingested_at);`;

const A_INSERT = 'INSERT INTO a_raw (org_id, table_name, source_kind, source_id, row_number, data)';

/** Keyset reads of a per-record layout (layouts A and B share the read; only the table differs). */
async function readPerRecord(db: Database, table: 'a_raw' | 'b_raw'): Promise<number> {
  let last = 0;
  let total = 0;
  for (;;) {
    const { rows } = await db.query<{ watermark: number }>(
      `SELECT watermark, row_number, source_kind, source_id, ingested_at, data FROM ${table}
        WHERE org_id = $1 AND table_name = $2 AND watermark > $3 ORDER BY watermark LIMIT $4`,
      [ORG, TABLE, last, BATCH],
    );
    if (rows.length === 0) return total;
    total += rows.length;
    last = rows[rows.length - 1]!.watermark;
  }
}

const readA = (db: Database) => readPerRecord(db, 'a_raw');

/** The four ways to send a batch in one statement. */
const methods = {
  'multi-VALUES': (type: string) => async (db: Database, b: Batch) => {
    const params: unknown[] = [ORG, TABLE, KIND, SOURCE];
    const tuples = b.rowNumbers.map((n, i) => {
      params.push(n, JSON.stringify(b.data[i]));
      return `($${params.length - 1}::int, $${params.length}::${type})`;
    });
    await db.query(`${A_INSERT} SELECT $1, $2, $3, $4, v.r, v.d FROM (VALUES ${tuples.join(',')}) AS v(r, d) ON CONFLICT DO NOTHING`, params);
  },
  'unnest(int[], json[])': (type: string) => async (db: Database, b: Batch) => {
    await db.query(`${A_INSERT} SELECT $1, $2, $3, $4, u.r, u.d FROM unnest($5::int[], $6::${type}[]) AS u(r, d) ON CONFLICT DO NOTHING`, [
      ORG,
      TABLE,
      KIND,
      SOURCE,
      b.rowNumbers,
      b.data.map((d) => JSON.stringify(d)),
    ]);
  },
  json_to_recordset: (type: string) => async (db: Database, b: Batch) => {
    await db.query(`${A_INSERT} SELECT $1, $2, $3, $4, x.r, x.d FROM json_to_recordset($5::json) AS x(r int, d ${type}) ON CONFLICT DO NOTHING`, [
      ORG,
      TABLE,
      KIND,
      SOURCE,
      JSON.stringify(b.rowNumbers.map((r, i) => ({ r, d: b.data[i] }))),
    ]);
  },
  'ROWS FROM(unnest, json_array_elements)': (type: string) => async (db: Database, b: Batch) => {
    await db.query(
      `${A_INSERT} SELECT $1, $2, $3, $4, x.r, x.d::${type} FROM ROWS FROM (unnest($5::int[]), json_array_elements($6::json)) AS x(r, d) ON CONFLICT DO NOTHING`,
      [ORG, TABLE, KIND, SOURCE, b.rowNumbers, JSON.stringify(b.data)],
    );
  },
};

const statementVariants: Variant[] = (['jsonb', 'json'] as const).flatMap((type) =>
  Object.entries(methods).map(([method, make]) => ({
    name: `A ${type.padEnd(5)} ${method}`,
    ddl: layoutA(type),
    write: make(type),
    read: readA,
  })),
);

// ---------------------------------------------------------------------------
// Layout B: one row per record, data as json (text kept as given), watermark
// from a per-table counter row (commit-ordered), PK (org, table, watermark),
// the idempotency key on text columns, a BRIN on ingested_at, no per-row FK.

const layoutB = (extra = '') => `
  CREATE TABLE b_tables (org_id text, table_name text, high_watermark bigint NOT NULL, PRIMARY KEY (org_id, table_name));
  CREATE TABLE b_raw (
    org_id text NOT NULL, table_name text NOT NULL, watermark bigint NOT NULL,
    source_kind text NOT NULL CHECK (source_kind IN ('file', 'run')), source_id text NOT NULL,
    row_number integer NOT NULL CHECK (row_number > 0),
    ingested_at timestamptz NOT NULL DEFAULT now(),
    data json NOT NULL,
    PRIMARY KEY (org_id, table_name, watermark)${extra}
  );
  CREATE UNIQUE INDEX b_raw_key ON b_raw (org_id, table_name, source_kind, source_id, row_number);
  CREATE INDEX b_raw_ing ON b_raw USING brin (ingested_at);`;

async function writeB(db: Database, b: Batch): Promise<void> {
  await db.query(
    `WITH t AS (
       INSERT INTO b_tables VALUES ($1, $2, $7) ON CONFLICT (org_id, table_name)
       DO UPDATE SET high_watermark = b_tables.high_watermark + $7 RETURNING high_watermark - $7 AS base)
     INSERT INTO b_raw (org_id, table_name, watermark, source_kind, source_id, row_number, data)
     SELECT $1, $2, t.base + x.i, $3, $4, x.r, x.d
       FROM t, ROWS FROM (unnest($5::int[]), json_array_elements($6::json)) WITH ORDINALITY AS x(r, d, i)
     ON CONFLICT DO NOTHING`,
    [ORG, TABLE, KIND, SOURCE, b.rowNumbers, JSON.stringify(b.data), b.rowNumbers.length],
  );
}

const readB = (db: Database) => readPerRecord(db, 'b_raw');

// Layout D: the best per-record layout found (and the first implementation):
// B with the text keys replaced by integer ids of a table row and a source
// row, so both b-tree indexes hold 16-byte keys.
const layoutD = `
  CREATE TABLE d_tables (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, org_id text COLLATE "C" NOT NULL,
    table_name text COLLATE "C" NOT NULL, high_watermark bigint NOT NULL DEFAULT 0, UNIQUE (org_id, table_name));
  CREATE TABLE d_sources (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, table_id bigint NOT NULL,
    source_kind text COLLATE "C" NOT NULL, source_id text COLLATE "C" NOT NULL, UNIQUE (table_id, source_kind, source_id));
  CREATE TABLE d_raw (
    table_id bigint NOT NULL, watermark bigint NOT NULL, raw_source_id bigint NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(), row_number integer NOT NULL, org_id text COLLATE "C" NOT NULL,
    data json NOT NULL, PRIMARY KEY (table_id, watermark));
  CREATE UNIQUE INDEX d_raw_key ON d_raw (raw_source_id, row_number);
  CREATE INDEX d_raw_ing ON d_raw USING brin (ingested_at);`;

async function writeD(db: Database, b: Batch): Promise<void> {
  await db.query(
    `WITH t AS (
       INSERT INTO d_tables AS rt (org_id, table_name, high_watermark) VALUES ($1, $2, $7::bigint)
       ON CONFLICT (org_id, table_name) DO UPDATE SET high_watermark = rt.high_watermark + EXCLUDED.high_watermark
       RETURNING rt.id, rt.high_watermark - $7::bigint AS base),
     s AS (
       INSERT INTO d_sources AS rs (table_id, source_kind, source_id) SELECT t.id, $3, $4 FROM t
       ON CONFLICT (table_id, source_kind, source_id) DO UPDATE SET source_kind = rs.source_kind RETURNING rs.id)
     INSERT INTO d_raw (table_id, watermark, raw_source_id, row_number, org_id, data)
     SELECT t.id, t.base + x.i, s.id, x.r, $1, x.d
       FROM t, s, ROWS FROM (unnest($5::int[]), json_array_elements($6::json)) WITH ORDINALITY AS x(r, d, i)
     ON CONFLICT (raw_source_id, row_number) DO NOTHING`,
    [ORG, TABLE, KIND, SOURCE, b.rowNumbers, JSON.stringify(b.data), b.rowNumbers.length],
  );
}

async function readD(db: Database): Promise<number> {
  const { rows: t } = await db.query<{ id: number }>('SELECT id FROM d_tables WHERE org_id = $1 AND table_name = $2', [ORG, TABLE]);
  let last = 0;
  let total = 0;
  for (;;) {
    const { rows } = await db.query<{ watermark: number }>(
      `SELECT watermark, raw_source_id, row_number, ingested_at, data FROM d_raw
        WHERE table_id = $1 AND org_id = $2 AND watermark > $3 ORDER BY watermark LIMIT $4`,
      [t[0]!.id, ORG, last, BATCH],
    );
    if (rows.length === 0) return total;
    total += rows.length;
    last = rows[rows.length - 1]!.watermark;
  }
}

// Layout C: one row per batch, the records as one json array exploded by the
// server on read, idempotent only on the batch's first row. The shipped
// store is this idea made exact (row-level idempotency, reads from any
// watermark) with the JSON as text: measured as PostgresRawStore below.
const layoutC = `
  CREATE TABLE c_raw (
    org_id text NOT NULL, table_name text NOT NULL, watermark bigserial,
    source_kind text NOT NULL, source_id text NOT NULL,
    first_row integer NOT NULL, row_numbers int[] NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now(), data json NOT NULL,
    PRIMARY KEY (org_id, table_name, watermark)
  );
  CREATE UNIQUE INDEX c_raw_key ON c_raw (org_id, table_name, source_kind, source_id, first_row);`;

async function writeC(db: Database, b: Batch): Promise<void> {
  await db.query(
    `INSERT INTO c_raw (org_id, table_name, source_kind, source_id, first_row, row_numbers, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [ORG, TABLE, KIND, SOURCE, b.rowNumbers[0], b.rowNumbers, JSON.stringify(b.data)],
  );
}

async function readC(db: Database): Promise<number> {
  // A page is one stored batch here, exploded into records by the server.
  let last = 0;
  let total = 0;
  for (;;) {
    const { rows } = await db.query<{ watermark: number; n: number }>(
      `SELECT c.watermark, x.r, x.d FROM (
         SELECT * FROM c_raw WHERE org_id = $1 AND table_name = $2 AND watermark > $3 ORDER BY watermark LIMIT 1) c,
         ROWS FROM (unnest(c.row_numbers), json_array_elements(c.data)) AS x(r, d)`,
      [ORG, TABLE, last],
    );
    if (rows.length === 0) return total;
    total += rows.length;
    last = rows[0]!.watermark;
  }
}

const layoutVariants: Variant[] = [
  { name: 'B json  per record, text keys', ddl: layoutB(), write: writeB, read: readB },
  {
    name: 'B + per-row FK to the counter table',
    ddl: layoutB(', FOREIGN KEY (org_id, table_name) REFERENCES b_tables ON DELETE CASCADE'),
    write: writeB,
    read: readB,
  },
  { name: 'D json  per record, integer keys', ddl: layoutD, write: writeD, read: readD },
  { name: 'C json  one row per batch (inexact)', ddl: layoutC, write: writeC, read: readC },
  {
    name: 'reference: typed table, no raw hop',
    ddl: `CREATE TABLE typed (id int PRIMARY KEY, sku text, name text, qty int, price numeric, active boolean,
            created_at timestamptz, note text, category text, ratio double precision)`,
    write: async (db, b) => {
      await db.query(
        `INSERT INTO typed SELECT * FROM json_populate_recordset(null::typed, $1::json) ON CONFLICT DO NOTHING`,
        [JSON.stringify(b.data)],
      );
    },
  },
];

// ---------------------------------------------------------------------------

interface Result {
  name: string;
  writeMs: number;
  readMs: number;
  /** Bytes on disk after the write: tables, indexes and TOAST. */
  bytes: number;
}

async function bytesOf(db: Database, schema: string, tables?: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number | string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid)) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND ($2::text[] IS NULL OR c.relname = ANY($2::text[]))`,
    [schema, tables ?? null],
  );
  return Number(rows[0]?.n ?? 0);
}

async function measure(db: Database, v: Variant): Promise<Result> {
  await db.exec(`DROP SCHEMA IF EXISTS bench_raw CASCADE; CREATE SCHEMA bench_raw; SET search_path TO bench_raw, sluice, public; ${v.ddl}`);
  const w0 = performance.now();
  for (const b of batches()) await v.write(db, b);
  const writeMs = performance.now() - w0;
  const bytes = await bytesOf(db, 'bench_raw');
  const r0 = performance.now();
  const read = v.read ? await v.read(db) : ROWS;
  const readMs = v.read ? performance.now() - r0 : 0;
  if (read !== ROWS) throw new Error(`${v.name}: read ${read} rows, wrote ${ROWS}`);
  await db.exec('DROP SCHEMA bench_raw CASCADE; SET search_path TO sluice, public');
  return { name: v.name, writeMs, readMs, bytes };
}

/** The shipped store: writeBatch calls of `batch` records, stored in segments of `chunk`. */
async function measureStore(db: Database, batch: number, chunk: number): Promise<Result> {
  // A throwaway database: start from empty tables so the size is this run's.
  await db.exec('TRUNCATE raw_segments, raw_sources, raw_tables');
  await db.query(`INSERT INTO orgs (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [ORG]);
  const store = new PostgresRawStore(db, { writeChunk: chunk });
  const source = { kind: 'file', id: SOURCE } as const;
  const w0 = performance.now();
  for (const b of batches(batch)) {
    await store.writeBatch(ORG, TABLE, source, b.rowNumbers.map((rowNumber, i) => ({ rowNumber, data: b.data[i] })));
  }
  const writeMs = performance.now() - w0;
  const bytes = await bytesOf(db, 'sluice', ['raw_tables', 'raw_sources', 'raw_segments']);
  const r0 = performance.now();
  let read = 0;
  for await (const page of store.read(ORG, TABLE, { batchSize: BATCH })) read += page.length;
  const readMs = performance.now() - r0;
  if (read !== ROWS) throw new Error(`PostgresRawStore: read ${read} rows, wrote ${ROWS}`);
  const name = `PostgresRawStore, ${batch / 1000}k batches, ${chunk / 1000}k/segment`;
  return { name, writeMs, readMs, bytes };
}

/** Runs `fn` REPEAT times and keeps the fastest write and the fastest read. */
async function best(fn: () => Promise<Result>): Promise<Result> {
  let result = await fn();
  for (let i = 1; i < REPEAT; i++) {
    const next = await fn();
    result = { ...result, writeMs: Math.min(result.writeMs, next.writeMs), readMs: Math.min(result.readMs, next.readMs) };
  }
  process.stderr.write('.');
  return result;
}

const rate = (ms: number) => (ms === 0 ? '-' : Math.round(ROWS / (ms / 1000)).toLocaleString('en-US'));

function print(kind: string, results: Result[]): void {
  console.log(`\n${kind}: ${ROWS.toLocaleString('en-US')} rows, batches of ${BATCH} unless said, rows/s (best of ${REPEAT})`);
  console.log(`  ${'variant'.padEnd(48)} ${'write'.padStart(9)} ${'read'.padStart(9)} ${'write+read'.padStart(11)} ${'MB'.padStart(6)}`);
  for (const r of results) {
    const hop = r.writeMs + r.readMs;
    const mb = (r.bytes / 1024 / 1024).toFixed(0);
    console.log(`  ${r.name.padEnd(48)} ${rate(r.writeMs).padStart(9)} ${rate(r.readMs).padStart(9)} ${rate(hop).padStart(11)} ${mb.padStart(6)}`);
  }
}

async function runAll(kind: string, db: Database): Promise<void> {
  await migrate(db);
  const results: Result[] = [];
  for (const v of [...statementVariants, ...layoutVariants]) results.push(await best(() => measure(db, v)));
  // As the variants write (one statement, one transaction per 5,000), then
  // larger writeBatch calls cut into segments of three sizes.
  results.push(await best(() => measureStore(db, BATCH, WRITE_CHUNK)));
  for (const chunk of [1000, 5000, 20_000]) results.push(await best(() => measureStore(db, 20_000, chunk)));
  print(kind, results);
}

if (values.only !== 'postgres') {
  const db = await PgliteDatabase.open();
  try {
    await runAll('PGlite (embedded, in memory)', db);
  } finally {
    await db.close();
  }
}

if (values.only !== 'pglite') {
  if (!SERVER_URL) {
    console.log('\nPostgreSQL: skipped (pass --url or set TEST_DATABASE_URL)');
  } else {
    const name = `sluice_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(SERVER_URL);
    url.pathname = `/${name}`;
    // One connection: the variants' SET search_path must hold for every statement.
    const db = new PostgresDatabase({ url: url.toString(), poolMax: 1 });
    try {
      await runAll(`PostgreSQL ${url.host}`, db);
    } finally {
      await db.close();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
}
