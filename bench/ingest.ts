/**
 * bench/ingest: a CSV file into a typed table, Sluice against `psql \copy`,
 * on the same file, the same table shape and the same server, in one run.
 *
 *   (a) file → typed table: Sluice's reader + mapper + loader, ratio to psql \copy (goal ≤ 1.3)
 *   (b) file → raw store → typed table, ratio to psql \copy (goal ≤ 3)
 *   (c) peak RSS of (a) and (b); run with --rows 200000 and --rows 2000000 to see it stay flat
 *   (d) (a) and (b) on the embedded database (PGlite), as a ratio to the server
 *
 * (a) and (b) run the fast path (src/ingest/fast: well-formed CSV rows go
 * straight to COPY lines or raw JSON, the others the ordinary way);
 * `--ordinary` also times the ordinary path (reader → mapper →
 * Warehouse.load, raw store writeBatch) for comparison.
 *
 * Run: npm run bench:ingest -- [--rows 200000] [--no-pglite] [--ordinary]
 * Needs a PostgreSQL server whose role may create databases (TEST_DATABASE_URL or
 * DATABASE_URL, default postgresql://sluice:sluice@127.0.0.1:5432/sluice_test) and psql.
 * The loader alone, on rows already in memory, is bench/ingest-load.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { readFile } from '../src/connectors/file/index.js';
import { migrate, PgliteDatabase, PostgresDatabase, type Database } from '../src/db/index.js';
import { landFileFast, loadFileFast, loadRawFast } from '../src/ingest/fast/index.js';
import { createMapper } from '../src/mapping/index.js';
import { PostgresRawStore } from '../src/stores/raw/index.js';
import { createWarehouse, type LoadBatch, type Warehouse } from '../src/stores/warehouse/index.js';
import { COLUMNS, PG_COLUMN_TYPES, dropDatabase, fmt, generatePool, mb, measure, run, withDatabase, writeCsv } from './lib/ingest-data.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    // Internal: the child process that writes the CSV, so its memory is not the measured process's.
    'write-csv': { type: 'string' },
    'no-pglite': { type: 'boolean', default: false },
    ordinary: { type: 'boolean', default: false },
  },
});
const totalRows = Number(values.rows);
const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://sluice:sluice@127.0.0.1:5432/sluice_test';
const mappings = COLUMNS.map((c) => ({ source: `$.${c.name}`, target: c.name, type: c.type }));

// A full collection before each path, so its peak RSS does not carry what the one before left for the GC.
v8.setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const measured = <T>(fn: () => Promise<T>) => {
  collect();
  return measure(fn);
};

/** The ordinary path (--ordinary): reader → mapper → Warehouse.load, as before the fast path. */
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

async function fileToTable(warehouse: Warehouse, orgId: string, table: string, file: string, ordinary = false) {
  const load = { writeMode: 'append' as const, runId: 'bench', sourceId: 'bench-file' };
  const result = ordinary
    ? await warehouse.load(orgId, table, mapped(readFile(file)), { ...load, columns: COLUMNS })
    : await loadFileFast(warehouse, orgId, table, file, { ...load, mappings });
  if (result.loaded !== totalRows) throw new Error(`loaded ${result.loaded} of ${totalRows} rows (${result.rejected} rejected)`);
}

/** Returns the cleanup (deleting the raw rows), which is not part of the path measured. */
async function fileToRawToTable(db: Database, warehouse: Warehouse, orgId: string, table: string, file: string, ordinary = false): Promise<() => Promise<number>> {
  const raw = new PostgresRawStore(db);
  const source = { kind: 'file' as const, id: `bench-${randomBytes(3).toString('hex')}` };
  if (ordinary) {
    for await (const batch of readFile(file)) await raw.writeBatch(orgId, table, source, batch.records);
  } else {
    await landFileFast(raw, orgId, table, source, file);
  }
  async function* fromRaw() {
    for await (const rows of raw.read(orgId, table, { source, batchSize: 5000 })) yield { records: rows, rejected: [] };
  }
  const load = { writeMode: 'append' as const, runId: 'bench', sourceId: source.id };
  const result = ordinary
    ? await warehouse.load(orgId, table, mapped(fromRaw()), { ...load, columns: COLUMNS })
    : await loadRawFast(raw, warehouse, orgId, table, { ...load, mappings, source });
  if (result.loaded !== totalRows) throw new Error(`loaded ${result.loaded} of ${totalRows} rows from the raw store`);
  return () => raw.deleteSource(orgId, table, source);
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
  let rssBefore: number | undefined;
  try {
    // Written by a child process: the generator's memory must not count in the RSS measured below.
    await run(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--write-csv', file, '--rows', String(totalRows)]);
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

    collect();
    rssBefore = process.memoryUsage.rss();
    const serverDb = new PostgresDatabase({ url: serverUrl, poolMax: 4 });
    const server = await prepare(serverDb, { kind: 'postgres', url: serverUrl, poolMax: 4 }, orgId, dir);
    const a = await measured(() => fileToTable(server, orgId, 'direct', file));
    results.push({ path: '(a) file → typed, server', seconds: a.seconds, ratio: (a.seconds / psql.seconds).toFixed(2), rss: mb(a.peakRss) });
    const b = await measured(() => fileToRawToTable(serverDb, server, orgId, 'via_raw', file));
    await b.value();
    results.push({ path: '(b) file → raw → typed, server', seconds: b.seconds, ratio: (b.seconds / psql.seconds).toFixed(2), rss: mb(b.peakRss) });
    if (values.ordinary) {
      const oa = await measured(() => fileToTable(server, orgId, 'direct_ordinary', file, true));
      results.push({ path: '    ordinary path (a)', seconds: oa.seconds, ratio: (oa.seconds / psql.seconds).toFixed(2), rss: mb(oa.peakRss) });
      const ob = await measured(() => fileToRawToTable(serverDb, server, orgId, 'via_raw_ordinary', file, true));
      await ob.value();
      results.push({ path: '    ordinary path (b)', seconds: ob.seconds, ratio: (ob.seconds / psql.seconds).toFixed(2), rss: mb(ob.peakRss) });
    }
    await server.close();
    await serverDb.query(`DELETE FROM orgs WHERE id = $1`, [orgId]);
    await serverDb.close();
    await dropDatabase(admin, `orgdata_${orgId}`);

    if (!values['no-pglite']) {
      const liteDb = await PgliteDatabase.open(path.join(dir, 'pglite'));
      const lite = await prepare(liteDb, { kind: 'pglite', dataDir: dir }, orgId, dir);
      const la = await measured(() => fileToTable(lite, orgId, 'direct', file));
      results.push({ path: '(d) file → typed, embedded', seconds: la.seconds, ratio: `${(la.seconds / psql.seconds).toFixed(2)} (${(la.seconds / a.seconds).toFixed(2)}× server)`, rss: mb(la.peakRss) });
      const lb = await measured(() => fileToRawToTable(liteDb, lite, orgId, 'via_raw', file));
      await lb.value();
      results.push({ path: '(d) file → raw → typed, embedded', seconds: lb.seconds, ratio: `${(lb.seconds / psql.seconds).toFixed(2)} (${(lb.seconds / b.seconds).toFixed(2)}× server)`, rss: mb(lb.peakRss) });
      await lite.close();
      await liteDb.close();
    }
  } finally {
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
  console.log('');
  console.log(`RSS before the first Sluice path (the process and its modules, after a full GC): ${rssBefore === undefined ? '-' : mb(rssBefore)}`);
  console.log(`${'path'.padEnd(36)}${'seconds'.padStart(9)}  ${'ratio to psql'.padEnd(24)}peak RSS`);
  for (const r of results) console.log(`${r.path.padEnd(36)}${r.seconds.toFixed(2).padStart(9)}  ${r.ratio.padEnd(24)}${r.rss}`);
}

if (values['write-csv'] !== undefined) {
  // A small pool of distinct rows, repeated.
  await writeCsv(values['write-csv'], generatePool(Math.min(totalRows, 10_000)), totalRows);
} else {
  await main();
}
