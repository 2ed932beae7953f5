/**
 * forecast_inventory_dag as a user runs it (issue 15): `sluice start` on a
 * PostgreSQL server, a generated sales-and-stock CSV of N items × D days
 * uploaded through `POST /api/files/` with `inventory=true` and nothing
 * else set, then the ingest run, the load run and the forecast run the load
 * starts, until `<table>__plan` is published. Against the model time alone:
 * src/forecast's forecastItems over the same items (read from the same
 * file) with the same settings and threads, in a process of its own.
 * Prints the time per stage, the ratio forecast run / model time (goal: the
 * chain adds ≤ 25 % to the model time), the peak RSS of the Sluice process
 * (goal < 500 MB) and the load average before and after.
 *
 *   npm run bench:forecast-chain -- [--items 10000] [--days 730] [--tsx]
 *
 * It builds and runs the compiled server, as production does; `--tsx` runs
 * the TypeScript sources instead. Needs a server as the ingest benchmarks do
 * (TEST_DATABASE_URL or DATABASE_URL, a role with CREATEDB). Traffic stays
 * on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, openAsBlob, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { forecastItems, type ItemInput } from '../src/forecast/index.js';
import { writeInventoryCsv } from '../test/helpers/inventory.js';
import { dropDatabase, fmt, mb, run } from './lib/ingest-data.js';
import { api, peakRss, startBenchServer, type BenchServer } from './lib/sluice-server.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '10000' },
    days: { type: 'string', default: '730' },
    tsx: { type: 'boolean', default: false },
    // Internal: the model time alone, in its own process: `--model-child FILE`.
    'model-child': { type: 'string' },
  },
});
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = values.tsx ? path.join(ROOT, 'bin', 'sluice.js') : path.join(ROOT, 'dist', 'cli', 'bin.js');
const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://sluice:sluice@127.0.0.1:5432/sluice_test';
const cores = os.availableParallelism();
const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');

/** The items of the generated file (rows of one item are consecutive), as forecastItems takes them. */
async function* itemsOf(file: string): AsyncGenerator<ItemInput> {
  let key: string | null = null;
  let rows: ItemInput['rows'] = [];
  let header = true;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (header || line === '') {
      header = false;
      continue;
    }
    const [date, sku, sold, onHand] = line.split(',');
    if (sku !== key) {
      if (key !== null) yield { key, rows };
      key = sku!;
      rows = [];
    }
    rows.push({ date: date!, quantity: Number(sold), ...(onHand ? { onHand: Number(onHand) } : {}) });
  }
  if (key !== null) yield { key, rows };
}

/** The model side (a child process): forecastItems over the file's items with the forecast's defaults; one JSON line. */
async function modelChild(file: string): Promise<void> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const t0 = performance.now();
  let count = 0;
  const threads = process.env.SLUICE_FORECAST_THREADS ? Number(process.env.SLUICE_FORECAST_THREADS) : cores;
  for await (const result of forecastItems(itemsOf(file), { threads, leadTimeDays: 7, serviceLevel: 0.95, reviewPeriodDays: 7, frequency: 'auto' })) if (result.key) count++;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  console.log(JSON.stringify({ seconds, count, peakMb: Math.max(peak / 1e6, hwm ? Number(hwm[1]) / 1e3 : 0) }));
}




interface Run {
  runId: string;
  state: string;
  startedAt: string | null;
  endedAt: string | null;
  queuedAt: string;
  tasks: { taskId: string; state: string; startedAt: string | null; endedAt: string | null; error: string | null; output: Record<string, unknown> | null }[];
}
const seconds = (a: string | null, b: string | null) => (a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : NaN);

async function ended(base: string, token: string, runId: string): Promise<Run> {
  for (;;) {
    const r = await api<Run>(`${base}/api/runs/${encodeURIComponent(runId)}`, token);
    if (['success', 'failed', 'cancelled'].includes(r.state)) {
      if (r.state !== 'success') throw new Error(`run ${runId} ${r.state}: ${JSON.stringify(r.tasks.map((t) => [t.taskId, t.state, t.error]))}`);
      return r;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(): Promise<void> {
  const items = Number(values.items);
  const days = Number(values.days);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-forecast-chain-'));
  const file = path.join(dir, 'inventory.csv');
  const tag = randomBytes(3).toString('hex');
  const sluiceDb = `bench_fchain_${tag}`;
  const prefix = `bfc${tag}_`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let sluice: BenchServer | undefined;
  try {
    console.log(`${cores} cores, load average ${load()}`);
    if (!values.tsx) {
      process.stdout.write('building (npm run build:server) … ');
      await run('npm', ['run', 'build:server', '--silent']);
      console.log('done');
    }
    process.stdout.write(`generating ${fmt(items)} items × ${days} days … `);
    const rows = await writeInventoryCsv(file, items, days);
    console.log(`${fmt(rows)} rows, ${mb((await stat(file)).size)}`);

    // The model time alone, on the same items, before the server starts (one thing at a time on the cores).
    process.stdout.write(`model time alone (forecastItems, ${cores} threads) … `);
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--model-child', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    const model = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; count: number; peakMb: number };
    console.log(`${model.seconds.toFixed(1)} s for ${fmt(model.count)} items, peak RSS ${model.peakMb.toFixed(0)} MB; load average ${load()}`);

    await admin.query(`CREATE DATABASE ${sluiceDb}`);
    sluice = await startBenchServer({ bin: BIN, serverUrl, database: sluiceDb, prefix, dir });
    const { url: base, token } = sluice;
    const baseline = await peakRss(sluice.child.pid!);

    const t0 = performance.now();
    const form = new FormData();
    form.set('table', 'inventory');
    form.set('inventory', 'true');
    form.set('file', await openAsBlob(file), 'inventory.csv');
    const uploaded = await api<{ dag_run_id: string }>(`${base}/api/files/`, token, { method: 'POST', body: form });
    const uploadSeconds = (performance.now() - t0) / 1000;
    const ingest = await ended(base, token, uploaded.dag_run_id);
    const load_ = await ended(base, token, ingest.tasks.find((t) => t.taskId === 'trigger_load')!.output!.dag_run_id as string);
    const triggered = load_.tasks.find((t) => t.taskId === 'trigger_forecast')!.output!;
    if (!triggered.triggered) throw new Error(`the load started no forecast: ${JSON.stringify(triggered)}`);
    const forecast = await ended(base, token, triggered.dag_run_id as string);
    const chainSeconds = (performance.now() - t0) / 1000;
    const peak = await peakRss(sluice.child.pid!);
    const summary = await api<{ tables: { table: string; published: { items: number; counts: Record<string, number> } | null }[] }>(`${base}/api/forecasts`, token);
    const published = summary.tables.find((t) => t.table === 'inventory')?.published;
    if (published?.items !== items) throw new Error(`published ${published?.items} of ${items} items`);

    const forecastSeconds = seconds(forecast.startedAt, forecast.endedAt);
    const ratio = forecastSeconds / model.seconds;
    const task = (r: Run, id: string) => r.tasks.find((t) => t.taskId === id)!;
    const shards = forecast.tasks.filter((t) => t.taskId.startsWith('forecast_shard_'));
    const shardSpan = seconds(shards.map((s) => s.startedAt!).sort()[0]!, shards.map((s) => s.endedAt!).sort().at(-1)!);
    console.log();
    console.log(`${'stage'.padEnd(48)}${'seconds'.padStart(9)}`);
    const line = (name: string, s: number) => console.log(`${name.padEnd(48)}${s.toFixed(2).padStart(9)}`);
    line('upload (streamed to disk)', uploadSeconds);
    line('ingest run', seconds(ingest.startedAt, ingest.endedAt));
    line('load run', seconds(load_.startedAt, load_.endedAt));
    line('forecast run: queued after the load', seconds(load_.endedAt, forecast.startedAt));
    line('forecast run: prepare (survey, stage)', seconds(task(forecast, 'prepare').startedAt, task(forecast, 'prepare').endedAt));
    line(`forecast run: ${shards.length} shards side by side`, shardSpan);
    line('forecast run: publish', seconds(task(forecast, 'publish').startedAt, task(forecast, 'publish').endedAt));
    line('forecast run: notify', seconds(task(forecast, 'notify').startedAt, task(forecast, 'notify').endedAt));
    line('forecast run (start to end)', forecastSeconds);
    line('whole chain (upload to plan published)', chainSeconds);
    line('model time alone (forecastItems, same items)', model.seconds);
    console.log(`\n${fmt(items)} items × ${days} days (${fmt(rows)} rows): ${Object.entries(published.counts).map(([k, v]) => `${fmt(v)} ${k}`).join(', ')}`);
    console.log(`forecast run / model time: ${ratio.toFixed(2)} (goal ≤ 1.25: ${ratio <= 1.25 ? 'MET' : 'NOT MET'})`);
    console.log(`peak RSS of sluice: ${mb(peak)} (${mb(baseline)} before the upload; goal < 500 MB: ${peak < 500 * 1024 * 1024 ? 'MET' : 'NOT MET'})`);
    console.log(`load average now ${load()} (the machine is shared: compare runs at a similar load)`);
  } finally {
    if (sluice) {
      sluice.child.kill('SIGTERM');
      await new Promise((r) => sluice!.child.once('exit', r));
    }
    await dropDatabase(admin, sluiceDb);
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await dropDatabase(admin, datname);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

if (values['model-child']) await modelChild(values['model-child']);
else await main();
