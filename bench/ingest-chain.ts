/**
 * The whole chain of an upload, as a user runs it: `sluice start` on a
 * PostgreSQL server, `POST /api/files/` of a generated CSV, then the
 * enhanced_org_aware_ingest_dag run and the enhanced_mongo_to_postgres_dag
 * run it triggers, until the rows are in the typed table — against
 * `psql \copy` of the same file into the same columns, in the same run.
 * Prints the ratio and the peak RSS of the Sluice process (Linux VmHWM).
 *
 *   npm run bench:ingest-chain -- [--rows 2000000] [--tsx]
 *
 * It builds and runs the compiled server, as production does; `--tsx` runs
 * the TypeScript sources instead (what `npm start` does in a checkout).
 *
 * Needs a server as the other ingest benchmarks do (TEST_DATABASE_URL or
 * DATABASE_URL, a role with CREATEDB). Traffic stays on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { COLUMNS, PG_COLUMN_TYPES, dropDatabase, fmt, generatePool, mb, measure, run, withDatabase, writeCsv } from './lib/ingest-data.js';
import { api, peakRss, rss, startBenchServer, type BenchServer } from './lib/sluice-server.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, tsx: { type: 'boolean', default: false } } });
const totalRows = Number(values.rows);
const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://sluice:sluice@127.0.0.1:5432/sluice_test';
const ROOT = path.resolve(import.meta.dirname, '..');
// As in production: the compiled server (`npm run build`), which needs ~70 MB less than running the sources through tsx.
const BIN = values.tsx ? path.join(ROOT, 'bin', 'sluice.js') : path.join(ROOT, 'dist', 'cli', 'bin.js');






interface RunAnswer {
  state: string;
  start_date: string | null;
  end_date: string | null;
  tasks: { task_id: string; state: string; rows_out: number | null; rows_rejected: number | null; error: string | null; start_date: string | null; end_date: string | null }[];
}

const span = (a: string | null, b: string | null) => (a && b ? ((new Date(b).getTime() - new Date(a).getTime()) / 1000).toFixed(2) : '?');

async function waitForRun(base: string, token: string, dagId: string, runId: string): Promise<RunAnswer> {
  for (;;) {
    const run = await api<RunAnswer>(`${base}/api/airflow/status/${dagId}/${encodeURIComponent(runId)}/`, token);
    if (['success', 'failed', 'cancelled'].includes(run.state)) return run;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-chain-'));
  const file = path.join(dir, 'bench.csv');
  const tag = randomBytes(3).toString('hex');
  const refDb = `bench_chain_ref_${tag}`;
  const sluiceDb = `bench_chain_${tag}`;
  const prefix = `bch${tag}_`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let sluice: BenchServer | undefined;
  try {
    if (!values.tsx) {
      process.stdout.write('building (npm run build) … ');
      await run('npm', ['run', 'build', '--silent']);
      console.log('done');
    }
    process.stdout.write(`generating ${fmt(totalRows)} rows … `);
    await writeCsv(file, generatePool(10_000), totalRows);
    console.log(`${mb((await stat(file)).size)}`);

    await admin.query(`CREATE DATABASE ${refDb}`);
    await admin.query(`CREATE DATABASE ${sluiceDb}`);
    const refUrl = withDatabase(serverUrl, refDb);
    await run('psql', [refUrl, '-q', '-c', `CREATE TABLE ref (${COLUMNS.map((c) => `"${c.name}" ${PG_COLUMN_TYPES[c.type]}`).join(', ')})`]);
    const psql = await measure(() => run('psql', [refUrl, '-q', '-c', `\\copy ref FROM '${file}' WITH (FORMAT csv, HEADER true)`]));
    console.log(`psql \\copy: ${psql.seconds.toFixed(2)} s`);

    sluice = await startBenchServer({ bin: BIN, serverUrl, database: sluiceDb, prefix, dir });
    const { url: base, token } = sluice;
    const baseline = await peakRss(sluice.child.pid!);

    let uploadSeconds = 0;
    const breakdown: string[] = [];
    // The server's RSS per phase of the chain (which task was running), sampled every 100 ms.
    let phase = 'upload';
    const phasePeaks = new Map<string, number>();
    const pid = sluice.child.pid!;
    const sampler = setInterval(() => {
      void rss(pid).then((bytes) => phasePeaks.set(phase, Math.max(phasePeaks.get(phase) ?? 0, bytes)));
    }, 100);
    const chain = await measure(async () => {
      const uploadStarted = Date.now();
      const form = new FormData();
      form.set('table', 'bench');
      // A file-backed Blob: fetch streams it from disk.
      form.set('file', await openAsBlob(file), 'bench.csv');
      const uploaded = await api<{ dag_run_id: string }>(`${base}/api/files/`, token, { method: 'POST', body: form });
      uploadSeconds = (Date.now() - uploadStarted) / 1000;
      phase = 'ingest run';
      const ingest = await waitForRun(base, token, 'enhanced_org_aware_ingest_dag', uploaded.dag_run_id);
      if (ingest.state !== 'success') throw new Error(`ingest ${ingest.state}: ${JSON.stringify(ingest.tasks)}`);
      const runs = await api<{ dag_runs: { dag_run_id: string; conf: Record<string, unknown> }[] }>(`${base}/api/airflow/status/enhanced_mongo_to_postgres_dag/`, token);
      const loadRun = runs.dag_runs.find((r) => r.conf.upstream_run_id === uploaded.dag_run_id);
      if (!loadRun) throw new Error('the ingest run triggered no load run');
      phase = 'load run';
      const load = await waitForRun(base, token, 'enhanced_mongo_to_postgres_dag', loadRun.dag_run_id);
      if (load.state !== 'success') throw new Error(`load ${load.state}: ${JSON.stringify(load.tasks)}`);
      for (const run of [ingest, load]) breakdown.push(run.tasks.map((t) => `${t.task_id} ${span(t.start_date, t.end_date)} s`).join(', '));
      return load.tasks.find((t) => t.task_id === 'load_to_postgres')!;
    });
    clearInterval(sampler);
    const peak = await peakRss(sluice.child.pid!);
    if (chain.value.rows_out !== totalRows) throw new Error(`loaded ${chain.value.rows_out} of ${totalRows} rows (${chain.value.rows_rejected} rejected)`);

    console.log();
    console.log(`${'path'.padEnd(44)}${'seconds'.padStart(9)}  ${'ratio'.padEnd(8)}peak RSS of sluice`);
    console.log(`${'psql \\copy (reference)'.padEnd(44)}${psql.seconds.toFixed(2).padStart(9)}  ${'1.00'.padEnd(8)}-`);
    console.log(`${'upload → ingest DAG → load DAG (server)'.padEnd(44)}${chain.seconds.toFixed(2).padStart(9)}  ${(chain.seconds / psql.seconds).toFixed(2).padEnd(8)}${mb(peak)} (${mb(baseline)} before the upload)`);
    console.log(`\n${fmt(totalRows)} rows; goal: ratio ≤ 3, peak RSS < 300 MB`);
    console.log(`upload (streamed to disk, hashed) ${uploadSeconds.toFixed(2)} s`);
    console.log(`ingest run: ${breakdown[0]}`);
    console.log(`load run:   ${breakdown[1]}`);
    console.log(`RSS of sluice, highest sample per phase: ${[...phasePeaks].map(([k, v]) => `${k} ${mb(v)}`).join(', ')}`);
  } finally {
    if (sluice) {
      sluice.child.kill('SIGTERM');
      await new Promise((r) => sluice!.child.once('exit', r));
    }
    await dropDatabase(admin, refDb);
    await dropDatabase(admin, sluiceDb);
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await dropDatabase(admin, datname);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
