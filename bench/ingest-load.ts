/**
 * bench/ingest (the loader's part): how close Sluice's warehouse loader
 * comes to `psql \copy`, the fastest way there is to put a CSV file into a
 * PostgreSQL table, on the same rows and the same server.
 *
 * 1. Generates N rows of mixed types (integers, decimals, text with commas,
 *    quotes and newlines, dates, timestamps, booleans, JSON) and writes them
 *    as a CSV file in a temporary directory.
 * 2. (a) Times `psql \copy` of that file into a table with the same columns.
 * 3. (b) Times Sluice's loader (`Warehouse.load`, append mode, the whole
 *    transaction: table, delete of the source's earlier rows, COPY, index,
 *    counts) loading the same rows, already in memory, streamed in batches.
 *    To keep memory honest for millions of rows, at most 200,000 distinct
 *    rows are generated and repeated; the CSV holds the very same rows.
 * 4. (c) The same loader on the embedded database (PGlite in a temporary
 *    directory; the loader spools the COPY text to a file first there, see
 *    src/stores/warehouse/feed.ts), as a ratio to the server.
 *
 * Prints a table of times, ratios and peak RSS (sampled every 20 ms during
 * each phase; it includes the pre-generated rows, whose share is printed as
 * the RSS before loading). The loader and PostgreSQL share the machine's
 * cores, so other work on the machine shows in the ratio: the load average
 * is printed too; `--repeat N` alternates N runs of each and keeps the best.
 *
 * Run: npx tsx bench/ingest-load.ts [--rows 2000000] [--batch 10000] [--no-pglite] [--keep]
 * Needs a PostgreSQL server whose role may create databases:
 * TEST_DATABASE_URL or DATABASE_URL (default postgresql://sluice:sluice@127.0.0.1:5432/sluice_test),
 * and psql on the PATH.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { migrate, PgliteDatabase, PostgresDatabase, type Database } from '../src/db/index.js';
import { createWarehouse, type LoadBatch, type Warehouse } from '../src/stores/warehouse/index.js';
import { COLUMNS, PG_COLUMN_TYPES, fmt, generatePool, mb, measure, run, withDatabase, writeCsv } from './lib/ingest-data.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    batch: { type: 'string', default: '10000' },
    'no-pglite': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
  },
});
const totalRows = Number(values.rows);
const batchSize = Number(values.batch);
const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://sluice:sluice@127.0.0.1:5432/sluice_test';
const repeat = Math.max(1, Number(values.repeat));
const POOL_ROWS = Math.min(totalRows, 200_000);


async function* batches(pool: Record<string, unknown>[], rows: number): AsyncGenerator<LoadBatch> {
  // The pool's batches are sliced once, so yielding costs nothing per row.
  const slices: Record<string, unknown>[][] = [];
  for (let start = 0; start < pool.length; start += batchSize) slices.push(pool.slice(start, start + batchSize));
  let sent = 0;
  while (sent < rows) {
    for (const slice of slices) {
      if (sent >= rows) break;
      const take = Math.min(slice.length, rows - sent);
      yield { rows: take === slice.length ? slice : slice.slice(0, take), rejected: [] };
      sent += take;
    }
  }
}


async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}


async function openWarehouse(db: Database, kind: 'pglite' | 'postgres', url: string | undefined, orgId: string): Promise<Warehouse> {
  await migrate(db);
  await db.query('INSERT INTO orgs (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING', [orgId]);
  const warehouse = createWarehouse({
    db,
    database: kind === 'pglite' ? { kind: 'pglite', dataDir: '(bench)' } : { kind: 'postgres', url: url!, poolMax: 2 },
    prefix: 'orgdata_',
  });
  await warehouse.location(orgId);
  return warehouse;
}

async function sluiceLoad(warehouse: Warehouse, orgId: string, table: string, pool: Record<string, unknown>[]) {
  const result = await measure(() =>
    warehouse.load(orgId, table, batches(pool, totalRows), { writeMode: 'append', columns: COLUMNS, runId: 'bench', sourceId: 'bench-file' }),
  );
  if (result.value.loaded !== totalRows) throw new Error(`loaded ${result.value.loaded} rows, expected ${totalRows}`);
  return result;
}

type Measured = Awaited<ReturnType<typeof measure>>;
const best = (runs: Measured[]): Measured => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-ingest-'));
  const tag = randomBytes(4).toString('hex');
  const metaDb = `sluice_bench_${tag}`;
  const orgId = `bench_${tag}`;
  const orgDb = `orgdata_${orgId}`;
  let server: PostgresDatabase | undefined;
  try {
    const pool = generatePool(POOL_ROWS);
    const csv = path.join(dir, 'rows.csv');
    await writeCsv(csv, pool, totalRows);
    const csvBytes = (await stat(csv)).size;
    // Collect what writing the CSV left behind, so the baseline is the pre-generated rows themselves.
    v8.setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    const baselineRss = process.memoryUsage.rss();
    console.log(`rows: ${fmt(totalRows)} (${fmt(POOL_ROWS)} distinct, repeated)   CSV: ${mb(csvBytes)}   batch: ${fmt(batchSize)}   server: ${new URL(serverUrl).host}`);
    // The loader and the server share the machine's cores: other work on it skews the ratio (see the README).
    const load = () => os.loadavg()[0]!.toFixed(2);
    console.log(`cores: ${os.availableParallelism()}   load average before: ${load()}`);

    // The metadata database, migrated; the warehouse creates the organisation's database in it.
    await admin((c) => c.query(`CREATE DATABASE "${metaDb}"`));
    server = new PostgresDatabase({ url: withDatabase(serverUrl, metaDb), poolMax: 2 });
    const warehouse = await openWarehouse(server, 'postgres', withDatabase(serverUrl, metaDb), orgId);
    const orgUrl = withDatabase(serverUrl, orgDb);
    const columnsDdl = COLUMNS.map((c) => `"${c.name}" ${PG_COLUMN_TYPES[c.type]}`).join(', ');
    const psqlRuns: Measured[] = [];
    const loaderRuns: Measured[] = [];
    try {
      // Alternating, each into a fresh table, so neither always runs on a warmer server.
      for (let round = 1; round <= repeat; round++) {
        await run('psql', [orgUrl, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE TABLE psql_rows_${round} (${columnsDdl})`]);
        psqlRuns.push(
          await measure(() =>
            run('psql', [orgUrl, '-v', 'ON_ERROR_STOP=1', '-qc', `\\copy psql_rows_${round} (${COLUMNS.map((c) => c.name).join(', ')}) FROM '${csv}' WITH (FORMAT csv, HEADER true)`]),
          ),
        );
        loaderRuns.push(await sluiceLoad(warehouse, orgId, `bench_rows_${round}`, pool));
        const { rows } = await (await warehouse.location(orgId)).db.query<{ a: number; b: number }>(
          `SELECT (SELECT count(*) FROM psql_rows_${round}) AS a, (SELECT count(*) FROM bench_rows_${round}) AS b`,
        );
        if (Number(rows[0]!.a) !== totalRows || Number(rows[0]!.b) !== totalRows) throw new Error(`row counts differ: ${JSON.stringify(rows[0])}`);
      }
    } finally {
      await warehouse.close();
    }
    const psql = best(psqlRuns);
    const loader = best(loaderRuns);
    // Each round runs psql and the loader back to back, so their ratio sees about the same machine load.
    const pairRatios = psqlRuns.map((p, i) => loaderRuns[i]!.seconds / p.seconds).sort((a, b) => a - b);
    const medianRatio = pairRatios[Math.floor(pairRatios.length / 2)]!;

    let embedded: Measured | undefined;
    if (!values['no-pglite']) {
      const lite = await PgliteDatabase.open(path.join(dir, 'pglite'));
      try {
        const liteWarehouse = await openWarehouse(lite, 'pglite', undefined, orgId);
        try {
          embedded = await sluiceLoad(liteWarehouse, orgId, 'bench_rows', pool);
        } finally {
          await liteWarehouse.close();
        }
      } finally {
        await lite.close();
      }
    }

    const rowsPerSecond = (s: number) => fmt(Math.round(totalRows / s));
    const lines: string[][] = [
      ['', 'time', 'rows/s', 'ratio', 'Node CPU', 'peak RSS'],
      ['(a) psql \\copy, server', `${psql.seconds.toFixed(2)} s`, rowsPerSecond(psql.seconds), '1.00', '-', '(separate process)'],
      [
        '(b) Sluice loader, server',
        `${loader.seconds.toFixed(2)} s`,
        rowsPerSecond(loader.seconds),
        `${(loader.seconds / psql.seconds).toFixed(2)} × psql`,
        `${loader.cpuSeconds.toFixed(2)} s`,
        mb(loader.peakRss),
      ],
    ];
    if (embedded) {
      lines.push([
        '(c) Sluice loader, PGlite',
        `${embedded.seconds.toFixed(2)} s`,
        rowsPerSecond(embedded.seconds),
        `${(embedded.seconds / loader.seconds).toFixed(2)} × server`,
        `${embedded.cpuSeconds.toFixed(2)} s`,
        mb(embedded.peakRss),
      ]);
    }
    const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
    for (const line of lines) console.log(line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   '));
    if (repeat > 1) console.log(`loader / psql per round: ${pairRatios.map((r) => r.toFixed(2)).join(', ')} (median ${medianRatio.toFixed(2)})`);
    console.log(`RSS before loading (the pre-generated rows included): ${mb(baselineRss)}   process max RSS: ${mb(process.resourceUsage().maxRSS * 1024)}   load average after: ${load()}`);
  } finally {
    await server?.close();
    if (!values.keep) {
      await admin(async (c) => {
        for (const name of [orgDb, metaDb]) {
          // An autovacuum worker busy in it cannot be terminated by a role without pg_signal_backend: wait for it.
          for (let attempt = 1; ; attempt++) {
            try {
              await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
              break;
            } catch (error) {
              if ((error as { code?: string }).code !== '42501' || attempt >= 120) throw error;
              await new Promise((resolve) => setTimeout(resolve, 500));
            }
          }
        }
      }).catch((error: unknown) => console.error('cleanup failed:', (error as Error).message));
      await rm(dir, { recursive: true, force: true });
    } else {
      console.log(`kept ${dir}, databases ${metaDb} and ${orgDb}`);
    }
  }
}

await main();
