/**
 * What `npm start` costs before anyone uses it: the time from launching
 * `sluice start` to the first 200 of `GET /api/health`, and the resident
 * memory of its process tree while it sits idle — on the embedded default
 * (a fresh data directory, then the same directory started again, as an
 * existing installation does) against the same Sluice on the PostgreSQL
 * server (a fresh database; the server's own memory is not counted), in
 * one run, with the machine's load average.
 *
 *   npm run bench:footprint -- [--runs 1] [--idle-seconds 5] [--tsx] [--no-build] [--no-server]
 *
 * It builds and runs the compiled server, as production does; `--tsx` runs
 * the TypeScript sources instead (what `npm start` does in a checkout).
 * SLUICE_BENCH_NODE_OPTIONS becomes the server's NODE_OPTIONS.
 *
 * The server case needs TEST_DATABASE_URL or DATABASE_URL (a role with
 * CREATEDB), as the ingest benchmarks do. Traffic stays on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { dropDatabase, mb, run, withDatabase } from './lib/ingest-data.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    'idle-seconds': { type: 'string', default: '5' },
    tsx: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'no-server': { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Number(values.runs));
const idleMs = Math.max(1, Number(values['idle-seconds'])) * 1000;
const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://sluice:sluice@127.0.0.1:5432/sluice_test';
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = values.tsx ? path.join(ROOT, 'bin', 'sluice.js') : path.join(ROOT, 'dist', 'cli', 'bin.js');

interface Sample {
  /** Launch to the first 200 of /api/health, in seconds. */
  toHealth: number;
  /** Resident memory of the process tree while idle: the median and the highest sample. */
  idleMedian: number;
  idleMax: number;
  /** Peak resident memory of the main process since it started (VmHWM), start-up included. */
  peak: number;
}

const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function statusField(pid: number, field: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

/** The process and every descendant of it (Linux /proc). */
async function tree(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isFinite(ppid)) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) pids.push(...(parents.get(pids[i]!) ?? []));
  return pids;
}

async function treeRss(root: number): Promise<number> {
  let total = 0;
  for (const pid of await tree(root)) total += await statusField(pid, 'VmRSS');
  return total;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Starts `sluice start`, waits for health, samples the idle tree, stops it. */
async function measureStart(env: NodeJS.ProcessEnv, cwd: string): Promise<Sample> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start'], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...(process.env.SLUICE_BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SLUICE_BENCH_NODE_OPTIONS } : {}),
      SLUICE_ADMIN_PASSWORD: 'bench-admin-password',
      SLUICE_SECRET_KEY: 'bench secret key of at least thirty-two characters',
      SLUICE_LOG_LEVEL: 'warn',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const collect = (d: Buffer) => (output += d.toString());
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  try {
    // The port is printed once the server listens; health is polled from then on (and time counted from launch).
    let url: string | undefined;
    for (;;) {
      if (exited !== undefined) throw new Error(`sluice start exited with ${exited}:\n${output}`);
      url ??= /is listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url && (await healthy(url))) break;
      await new Promise((r) => setTimeout(r, 25));
      if (performance.now() - started > 120_000) throw new Error(`no health after 120 s:\n${output}`);
    }
    const toHealth = (performance.now() - started) / 1000;
    const samples: number[] = [];
    const idleStart = performance.now();
    while (performance.now() - idleStart < idleMs) {
      samples.push(await treeRss(child.pid!));
      await new Promise((r) => setTimeout(r, 200));
    }
    samples.sort((a, b) => a - b);
    return { toHealth, idleMedian: samples[Math.floor(samples.length / 2)]!, idleMax: samples[samples.length - 1]!, peak: await statusField(child.pid!, 'VmHWM') };
  } finally {
    if (exited === undefined) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], f: (x: number) => string) => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? f(lo) : `${f(lo)}–${f(hi)}`;
};

async function main(): Promise<void> {
  console.log(`load average before: ${loadavg()} (${os.cpus().length} cores)`);
  if (!values.tsx && !values['no-build']) {
    process.stdout.write('building (npm run build) … ');
    await run('npm', ['run', 'build', '--silent']);
    console.log('done');
  }
  const results = new Map<string, Sample[]>();
  const add = (name: string, sample: Sample) => results.set(name, [...(results.get(name) ?? []), sample]);
  const admin = values['no-server'] ? undefined : new pg.Client({ connectionString: serverUrl });
  await admin?.connect();
  try {
    for (let i = 0; i < runs; i++) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-footprint-'));
      try {
        const embedded = { SLUICE_DATA_DIR: path.join(dir, 'data') };
        add('embedded, fresh data directory', await measureStart(embedded, dir));
        add('embedded, existing data directory', await measureStart(embedded, dir));
        if (admin) {
          const tag = randomBytes(3).toString('hex');
          const database = `bench_footprint_${tag}`;
          await admin.query(`CREATE DATABASE ${database}`);
          try {
            const server = { DATABASE_URL: withDatabase(serverUrl, database), PG_DB_PREFIX: `bfp${tag}_`, SLUICE_DATA_DIR: path.join(dir, 'server-data') };
            add('PostgreSQL server, fresh database', await measureStart(server, dir));
            add('PostgreSQL server, existing database', await measureStart(server, dir));
          } finally {
            await dropDatabase(admin, database);
          }
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      console.log(`run ${i + 1}/${runs} done; load average ${loadavg()}`);
    }
  } finally {
    await admin?.end();
  }

  const reference = results.get('PostgreSQL server, existing database');
  console.log();
  console.log(`${'sluice start'.padEnd(40)}${'to health'.padStart(12)}${'idle RSS'.padStart(16)}${'peak RSS'.padStart(16)}${'RSS ÷ server'.padStart(14)}`);
  for (const [name, samples] of results) {
    const idle = samples.map((s) => s.idleMedian);
    const ratio = reference ? (median(idle) / median(reference.map((s) => s.idleMedian))).toFixed(2) : '-';
    console.log(
      `${name.padEnd(40)}${range(samples.map((s) => s.toHealth), (x) => `${x.toFixed(2)} s`).padStart(12)}` +
        `${range(idle, mb).padStart(16)}${range(samples.map((s) => s.peak), mb).padStart(16)}${ratio.padStart(14)}`,
    );
  }
  console.log(`\n${runs} run(s), ${idleMs / 1000} s idle each; ${values.tsx ? 'sources through tsx' : 'compiled (dist/)'}; idle RSS: median of the process tree's samples`);
  console.log('goal: embedded idle RSS ≤ 250 MB, health ≤ 3 s on a quiet machine');
  console.log(`load average after: ${loadavg()}`);
}

await main();
