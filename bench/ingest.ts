/**
 * bench/ingest: a CSV file into a typed table, Sluice against `psql \copy`,
 * on the same file, the same table shape and the same server, in one run.
 *
 *   (a) file → typed table: Sluice's reader + mapper + loader, ratio to psql \copy (goal ≤ 1.3)
 *   (b) file → raw store → typed table, ratio to psql \copy (goal ≤ 3)
 *   (c) peak RSS of (a) and (b); run with --rows 200000 and --rows 2000000 to see it stay flat
 *   (d) (a) and (b) on the embedded database (PGlite), as a ratio to the server
 *
 * Run: npm run bench:ingest -- [--rows 200000] [--no-pglite]
 * Needs a PostgreSQL server whose role may create databases (TEST_DATABASE_URL or
 * DATABASE_URL, default postgresql://sluice:sluice@127.0.0.1:5432/sluice_test) and psql.
 * The loader alone, on rows already in memory, is bench/ingest-load.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { readFile } from '../src/connectors/file/index.js';
import { migrate, PgliteDatabase, PostgresDatabase, type Database } from '../src/db/index.js';
import { createMapper } from '../src/mapping/index.js';
import { PostgresRawStore } from '../src/stores/raw/index.js';
import { createWarehouse, type LoadBatch, type Warehouse } from '../src/stores/warehouse/index.js';
import { COLUMNS, PG_COLUMN_TYPES, dropDatabase, fmt, generatePool, mb, measure, run, withDatabase, writeCsv } from './lib/ingest-data.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    'no-pglite': { type: 'boolean', default: false },
  },
});
const totalRows = Number(values.rows);
const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://sluice:sluice@127.0.0.1:5432/sluice_test';
const mappings = COLUMNS.map((c) => ({ source: `$.${c.name}`, target: c.name, type: c.type }));

/** File batches → mapped load batches, keeping the file's row numbers. */
async function* mapped(batches: AsyncIterable<{ records: { rowNumber: number; data: unknown }[]; rejected: { rowNumber: number; raw: unknown; field: string | null; reason: string }[] }>): AsyncGenerator<LoadBatch> {
  const mapper = createMapper(mappings);
  for await (const batch of batches) {
    const rows: Record<string, unknown>[] = [];
    const rowNumbers: number[] = [];
    const rejected: { raw: unknown; field: string | null; reason: string; rowNumber?: number }[] = batch.rejected.map((r) => ({ raw: r.raw, field: r.field, reason: r.reason, rowNumber: r.rowNumber }));
    for (const record of batch.records) {
      const result = mapper.map(record.data);
      if (result.ok) {
        rows.push(result.row);
        rowNumbers.push(record.rowNumber);
      } else rejected.push({ ...result.rejected, raw: result.rejected.record, rowNumber: record.rowNumber });
    }
    yield { rows, rejected, rowNumbers };
  }
}

async function fileToTable(warehouse: Warehouse, orgId: string, table: string, file: string) {
  const result = await warehouse.load(orgId, table, mapped(readFile(file)), { writeMode: 'append', columns: COLUMNS, runId: 'bench', sourceId: 'bench-file' });
  if (result.loaded !== totalRows) throw new Error(`loaded ${result.loaded} of ${totalRows} rows (${result.rejected} rejected)`);
}

async function fileToRawToTable(db: Database, warehouse: Warehouse, orgId: string, table: string, file: string) {
  const raw = new PostgresRawStore(db);
  const source = { kind: 'file' as const, id: `bench-${randomBytes(3).toString('hex')}` };
  for await (const batch of readFile(file)) {
    await raw.writeBatch(orgId, table, source, batch.records);
  }
  async function* fromRaw() {
    for await (const rows of raw.read(orgId, table, { source, batchSize: 5000 })) {
      yield { records: rows.map((r) => ({ rowNumber: r.rowNumber, data: r.data })), rejected: [] };
    }
  }
  const result = await warehouse.load(orgId, table, mapped(fromRaw()), { writeMode: 'append', columns: COLUMNS, runId: 'bench', sourceId: source.id });
  if (result.loaded !== totalRows) throw new Error(`loaded ${result.loaded} of ${totalRows} rows from the raw store`);
  await raw.deleteSource(orgId, table, source);
}

async function prepare(db: Database, database: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; poolMax: number }, orgId: string, spoolDir: string) {
  await migrate(db);
  await db.query('INSERT INTO orgs (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING', [orgId]);
  const warehouse = createWarehouse({ db, database, prefix: 'orgdata_', spoolDir });
  await warehouse.location(orgId);
  return warehouse;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-ingest-'));
  const orgId = `bench_${randomBytes(3).toString('hex')}`;
  const file = path.join(dir, 'rows.csv');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const results: { path: string; seconds: number; ratio: string; rss: string }[] = [];
  try {
    // A small pool of distinct rows, repeated: the generator's memory must not count in the RSS measured below.
    await writeCsv(file, generatePool(Math.min(totalRows, 10_000)), totalRows);
    console.log(`rows: ${fmt(totalRows)}   CSV: ${mb((await stat(file)).size)}   server: ${new URL(serverUrl).host}   load average: ${os.loadavg()[0]!.toFixed(1)}`);

    // Reference: psql \copy into a plain table of the same columns in a database of its own.
    const refDb = `bench_ref_${randomBytes(3).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${refDb}`);
    const refUrl = withDatabase(serverUrl, refDb);
    const create = `CREATE TABLE ref (${COLUMNS.map((c) => `"${c.name}" ${PG_COLUMN_TYPES[c.type]}`).join(', ')})`;
    await run('psql', [refUrl, '-q', '-c', create]);
    const psql = await measure(() => run('psql', [refUrl, '-q', '-c', `\\copy ref FROM '${file}' WITH (FORMAT csv, HEADER true)`]));
    await dropDatabase(admin, refDb);
    results.push({ path: 'psql \\copy (reference)', seconds: psql.seconds, ratio: '1.00', rss: '-' });

    const serverDb = new PostgresDatabase({ url: serverUrl, poolMax: 4 });
    const server = await prepare(serverDb, { kind: 'postgres', url: serverUrl, poolMax: 4 }, orgId, dir);
    const a = await measure(() => fileToTable(server, orgId, 'direct', file));
    results.push({ path: '(a) file → typed, server', seconds: a.seconds, ratio: (a.seconds / psql.seconds).toFixed(2), rss: mb(a.peakRss) });
    const b = await measure(() => fileToRawToTable(serverDb, server, orgId, 'via_raw', file));
    results.push({ path: '(b) file → raw → typed, server', seconds: b.seconds, ratio: (b.seconds / psql.seconds).toFixed(2), rss: mb(b.peakRss) });
    await server.close();
    await serverDb.query(`DELETE FROM orgs WHERE id = $1`, [orgId]);
    await serverDb.close();
    await dropDatabase(admin, `orgdata_${orgId}`);

    if (!values['no-pglite']) {
      const liteDb = await PgliteDatabase.open(path.join(dir, 'pglite'));
      const lite = await prepare(liteDb, { kind: 'pglite', dataDir: dir }, orgId, dir);
      const la = await measure(() => fileToTable(lite, orgId, 'direct', file));
      results.push({ path: '(d) file → typed, embedded', seconds: la.seconds, ratio: `${(la.seconds / psql.seconds).toFixed(2)} (${(la.seconds / a.seconds).toFixed(2)}× server)`, rss: mb(la.peakRss) });
      const lb = await measure(() => fileToRawToTable(liteDb, lite, orgId, 'via_raw', file));
      results.push({ path: '(d) file → raw → typed, embedded', seconds: lb.seconds, ratio: `${(lb.seconds / psql.seconds).toFixed(2)} (${(lb.seconds / b.seconds).toFixed(2)}× server)`, rss: mb(lb.peakRss) });
      await lite.close();
      await liteDb.close();
    }
  } finally {
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
  console.log('');
  console.log(`${'path'.padEnd(36)}${'seconds'.padStart(9)}  ${'ratio to psql'.padEnd(24)}peak RSS`);
  for (const r of results) console.log(`${r.path.padEnd(36)}${r.seconds.toFixed(2).padStart(9)}  ${r.ratio.padEnd(24)}${r.rss}`);
}

await main();
