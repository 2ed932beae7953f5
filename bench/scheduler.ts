/**
 * bench/scheduler: the builtin orchestrator's latency, against graphile-worker
 * on the same PostgreSQL server in the same run.
 *
 *   (1) fire lag: N schedules due at one instant (1,000 by default); for each
 *       run, the time from that instant to the start of its first task
 *       (graphile-worker: N jobs with one `runAt`)
 *   (2) step-to-step latency of a 4-task chain a → b → c → d of no-op tasks:
 *       start of task k+1 minus end of task k, over --chains runs, as many at
 *       once as there are worker slots (graphile-worker: each job adds the next)
 *   (3) (1) and (2) on the embedded database (PGlite), against the same reference
 *
 * Both sides run with the same concurrency, pool size, and the same interval
 * for noticing that a time has come (Sluice's scheduler tick, graphile-worker's
 * poll interval); Sluice's idle workers keep their default poll.
 *
 * Run: npm run bench:scheduler -- [--schedules 1000] [--chains 200] [--concurrency 16] [--no-pglite]
 * Needs a PostgreSQL server whose role may create databases (TEST_DATABASE_URL or
 * DATABASE_URL, default postgresql://sluice:sluice@127.0.0.1:5432/sluice_test).
 * Each run works in a database of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate, PgliteDatabase, PostgresDatabase } from '../src/db/index.js';
import { dropDatabase, withDatabase } from './lib/ingest-data.js';
import { percentile, type SchedulerBenchResult, type SchedulerBenchSettings } from './lib/scheduler-common.js';
import { benchGraphile } from './lib/scheduler-graphile.js';
import { benchSluice } from './lib/scheduler-sluice.js';

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '1000' },
    chains: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    'tick-ms': { type: 'string', default: '1000' },
    'no-pglite': { type: 'boolean', default: false },
  },
});
const positive = (name: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${JSON.stringify(value)}`);
  return n;
};
const concurrency = positive('concurrency', values.concurrency);
const settings: SchedulerBenchSettings = {
  schedules: positive('schedules', values.schedules),
  chains: positive('chains', values.chains),
  concurrency,
  // graphile-worker's advice: concurrency + 2, and at least 10. Sluice gets the same.
  poolMax: Math.max(10, concurrency + 4),
  tickMs: positive('tick-ms', values['tick-ms']),
  workerPollMs: 500,
  orgs: 10,
};
const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://sluice:sluice@127.0.0.1:5432/sluice_test';

interface Row {
  measure: string;
  pick: (r: SchedulerBenchResult) => number;
}

const ROWS: Row[] = [
  { measure: 'fire lag p50', pick: (r) => percentile(r.fireLagMs, 50) },
  { measure: 'fire lag p99', pick: (r) => percentile(r.fireLagMs, 99) },
  { measure: `fire lag max (all started)`, pick: (r) => percentile(r.fireLagMs, 100) },
  { measure: 'fire lag min (first started)', pick: (r) => percentile(r.fireLagMs, 0) },
  { measure: 'step-to-step p50', pick: (r) => percentile(r.stepMs, 50) },
  { measure: 'step-to-step p99', pick: (r) => percentile(r.stepMs, 99) },
];

const ms = (n: number): string => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

function printTable(server: SchedulerBenchResult, reference: SchedulerBenchResult, embedded: SchedulerBenchResult | undefined): void {
  const head = ['measure (ms)', 'Sluice', 'graphile-worker', 'ratio', ...(embedded ? ['Sluice PGlite', 'ratio'] : [])];
  const body = ROWS.map((row) => {
    const s = row.pick(server);
    const g = row.pick(reference);
    const cells = [row.measure, ms(s), ms(g), (s / g).toFixed(2)];
    if (embedded) {
      const e = row.pick(embedded);
      cells.push(ms(e), (e / g).toFixed(2));
    }
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('');
  console.log(line(head));
  for (const b of body) console.log(line(b));
  console.log('ratio: Sluice ÷ graphile-worker (lower is better for Sluice); the PGlite ratio is against graphile-worker on the server.');
  for (const [name, result] of [['server', server], ['reference', reference], ['PGlite', embedded]] as const) {
    if (!result) continue;
    for (const note of result.notes) console.log(`${name}: ${note}`);
    for (const part of result.stepParts) console.log(`${name}: step part ${part.name}: p50 ${ms(percentile(part.ms, 50))}, p99 ${ms(percentile(part.ms, 99))}`);
  }
}

/** Prints what is being measured, then how long it took. */
async function phase<T>(what: string, fn: () => Promise<T>): Promise<T> {
  process.stdout.write(`${what} … `);
  const started = performance.now();
  const value = await fn();
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s (load average ${os.loadavg()[0]!.toFixed(1)})`);
  return value;
}

async function main(): Promise<void> {
  console.log(
    `schedules: ${settings.schedules}   chains: ${settings.chains}   concurrency: ${settings.concurrency}   pool: ${settings.poolMax}   ` +
      `tick/poll: ${settings.tickMs} ms   server: ${new URL(serverUrl).host}   CPUs: ${os.cpus().length}   load average: ${os.loadavg()[0]!.toFixed(1)}`,
  );
  const name = `bench_sched_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let server: SchedulerBenchResult;
  let reference: SchedulerBenchResult;
  let embedded: SchedulerBenchResult | undefined;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = withDatabase(serverUrl, name);
    const db = new PostgresDatabase({ url, poolMax: settings.poolMax, applicationName: 'sluice-bench' });
    try {
      await migrate(db);
      server = await phase('Sluice on the server', () => benchSluice(db, settings));
    } finally {
      await db.close();
    }
    reference = await phase('graphile-worker on the server', () => benchGraphile(url, settings));
  } finally {
    await dropDatabase(admin, name);
    await admin.end();
  }
  if (!values['no-pglite']) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-scheduler-'));
    try {
      const db = await PgliteDatabase.open(path.join(dir, 'pgdata'));
      try {
        await migrate(db);
        embedded = await phase('Sluice on PGlite', () => benchSluice(db, settings));
      } finally {
        await db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  printTable(server, reference, embedded);
}

await main();
