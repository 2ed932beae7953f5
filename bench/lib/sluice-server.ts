/**
 * A Sluice server for the chain benchmarks: `sluice start` in a child process
 * on a database of the PostgreSQL server, logged in as its first admin, and
 * the process's memory read from /proc (Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { withDatabase } from './ingest-data.js';

export interface BenchServer {
  child: ChildProcess;
  url: string;
  /** A session token of the first admin. */
  token: string;
}

const PASSWORD = 'bench-admin-password';

/**
 * Starts `bin start` (the compiled CLI, or bin/sluice.js on the sources) in
 * `dir` on database `database` of `serverUrl`, and logs in.
 * SLUICE_BENCH_NODE_OPTIONS becomes the server's NODE_OPTIONS, to try V8
 * settings on it (e.g. --max-semi-space-size).
 */
export async function startBenchServer(options: { bin: string; serverUrl: string; database: string; prefix: string; dir: string }): Promise<BenchServer> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.SLUICE_BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SLUICE_BENCH_NODE_OPTIONS } : {}),
    DATABASE_URL: withDatabase(options.serverUrl, options.database),
    PG_DB_PREFIX: options.prefix,
    SLUICE_DATA_DIR: path.join(options.dir, 'data'),
    SLUICE_ADMIN_PASSWORD: PASSWORD,
    SLUICE_SECRET_KEY: 'bench secret key of at least thirty-two characters',
    SLUICE_MAX_UPLOAD_MB: String(64 * 1024),
    SLUICE_LOG_LEVEL: 'warn',
    PORT: '0',
  };
  const { child, url } = await new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin, 'start'], { cwd: options.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = /is listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`sluice start exited with ${code}:\n${output.slice(-2000)}`)));
  });
  const { token } = await api<{ token: string }>(`${url}/api/auth/login`, undefined, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@sluice.local', password: PASSWORD }),
  });
  return { child, url, token };
}

/** A JSON answer of the server, or an error naming the request and the answer. */
export async function api<T>(url: string, token: string | undefined, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } });
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Current resident set of a process, in bytes (0 once it is gone). */
export async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

/** Peak resident set of a process so far, in bytes. */
export async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}
