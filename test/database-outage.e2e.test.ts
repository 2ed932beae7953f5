import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished as onTeardown } from 'vitest';
import { migrate, PostgresDatabase } from '../src/db/index.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { startSluice, type RunningSluice } from './helpers/cli.js';
import { createServerDatabase, TEST_DATABASE_URL } from './helpers/databases.js';
import { dropDatabasesWithPrefix } from './helpers/drop-database.js';
import { startGatedSource } from './helpers/gated-source.js';
import { sleep, until } from './helpers/wait.js';
import { multipart } from './helpers/multipart.js';
import { holdWriteLock, sluiceWaitsForTable, startPgProxy, terminateSluiceBackends, throughProxy } from './helpers/pg-outage.js';
import type { TcpProxy } from './helpers/tcp-proxy.js';

/**
 * Sluice while its PostgreSQL server drops connections: every backend of
 * Sluice's databases terminated (pg_terminate_backend, as an administrator,
 * a failover or a restart does) while idle, while a file lands in the raw
 * store, while it loads into the warehouse and while an extract waits on a
 * slow source; and the server unreachable for a while (a TCP relay on
 * loopback, cut and restored: the shared server itself is never stopped).
 * The process stays up, the work that held a connection fails and is
 * retried, every row arrives once, and /api/health says what it sees.
 */
const csv = (from: number, count: number) => ['id,name,qty', ...Array.from({ length: count }, (_, i) => `${from + i},item ${from + i},${i % 97}`), ''].join('\n');
/** A first upload makes the table (and the organisation's warehouse database); the second is the one interrupted. */
const FIRST = csv(1, 100);
const ROWS = 20_000;
const CSV = csv(101, ROWS);
const SOURCE_RECORDS = 123;

const gatedConnection = (id: string, sourceUrl: string) => ({
  id,
  name: id,
  apiConfig: { baseUrl: `${sourceUrl}/items`, recordsPath: '$.data', pagination: { type: 'nextUrl', nextUrlPath: '$.next' } },
  destination: { table: id.replaceAll('-', '_'), writeMode: 'append' },
});

interface TaskRow {
  state: string;
  try_number: number;
}

/** Reads the engine's tables directly (not through Sluice), and terminates Sluice's backends. */
class Outage {
  constructor(
    readonly database: string,
    readonly warehousePrefix: string,
  ) {}

  /** The warehouse database of organisation `default`. */
  get warehouse(): string {
    return `${this.warehousePrefix}default`;
  }

  async task(runId: string, taskId: string): Promise<TaskRow | undefined> {
    return this.#admin(async (c) => (await c.query<TaskRow>('SELECT state, try_number FROM sluice.task_instances WHERE run_id = $1 AND task_id = $2', [runId, taskId])).rows[0]);
  }

  async runState(runId: string): Promise<string | undefined> {
    return this.#admin(async (c) => (await c.query<{ state: string }>('SELECT state FROM sluice.runs WHERE id = $1', [runId])).rows[0]?.state);
  }

  async downstreamRun(upstreamRunId: string): Promise<string | undefined> {
    return this.#admin(async (c) => (await c.query<{ id: string }>("SELECT id FROM sluice.runs WHERE conf->>'upstream_run_id' = $1", [upstreamRunId])).rows[0]?.id);
  }

  async attempts(runId: string, taskId: string): Promise<{ try_number: number; state: string; error: string | null }[]> {
    return this.#admin(async (c) => (await c.query('SELECT try_number, state, error FROM sluice.task_attempts WHERE run_id = $1 AND task_id = $2 ORDER BY try_number', [runId, taskId])).rows);
  }

  terminate(): Promise<number> {
    return terminateSluiceBackends(TEST_DATABASE_URL!, this.database, this.warehousePrefix);
  }

  /**
   * Stops Sluice's writers of `table` in `database` at its lock (inside their
   * transactions, mid-work), waits for one to be there, terminates every
   * backend of Sluice, then lets the table go.
   */
  async terminateWhileWriting(database: string, table: string, start: () => Promise<void>): Promise<void> {
    const lock = await holdWriteLock(TEST_DATABASE_URL!, database, table);
    try {
      await start();
      await until(`Sluice to wait to write ${table}`, () => sluiceWaitsForTable(TEST_DATABASE_URL!, database), 120_000);
      expect(await this.terminate()).toBeGreaterThan(0);
    } finally {
      await lock.release();
    }
  }

  async #admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const url = new URL(TEST_DATABASE_URL!);
    url.pathname = `/${this.database}`;
    const c = new pg.Client({ connectionString: url.toString(), application_name: 'test-observer' });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }
}

/**
 * Uploads FIRST, then CSV with Sluice's connections terminated while its
 * rows land in the raw store (mid-ingest) and while they are written to the
 * warehouse table (mid-load). Each interrupted step must fail once with the
 * lost connection and succeed on its retry.
 */
async function uploadThroughTerminations(outage: Outage, upload: (content: string) => Promise<string>): Promise<void> {
  const until2 = async (runId: string) => until(`run ${runId} to end`, async () => ['success', 'failed', 'cancelled'].includes((await outage.runState(runId)) ?? ''), 120_000);
  const first = await upload(FIRST);
  await until2(first);
  await until2(await until('the first load run', () => outage.downstreamRun(first)));

  let ingestRunId = '';
  // Mid-ingest: the land waits to store its first segment, inside its transaction.
  await outage.terminateWhileWriting(outage.database, 'sluice.raw_segments', async () => {
    ingestRunId = await upload(CSV);
  });
  // Mid-load: the load has staged its rows and waits to write them into the table, inside its transaction.
  let loadRunId = '';
  await outage.terminateWhileWriting(outage.warehouse, 'public.dropped', async () => {
    loadRunId = await until('the load run', () => outage.downstreamRun(ingestRunId), 120_000);
  });
  for (const [runId, taskId] of [
    [ingestRunId, 'land_raw'],
    [loadRunId, 'load_to_postgres'],
  ] as const) {
    const task = await until(`${taskId} to end`, async () => {
      const t = await outage.task(runId, taskId);
      return t && ['success', 'failed'].includes(t.state) ? t : undefined;
    }, 120_000);
    expect(task, taskId).toEqual({ state: 'success', try_number: 2 });
    const [firstTry] = await outage.attempts(runId, taskId);
    expect(firstTry).toMatchObject({ try_number: 1, state: 'failed', error: expect.stringContaining('The connection to PostgreSQL was lost (57P01') });
    await until2(runId);
    expect(await outage.runState(runId)).toBe('success');
  }
}

describe.runIf(TEST_DATABASE_URL)('Sluice while PostgreSQL drops its connections (in this process)', () => {
  let server: { url: string; drop: () => Promise<void> };
  let proxy: TcpProxy;
  let db: PostgresDatabase;
  let t: TestApp;
  let source: Awaited<ReturnType<typeof startGatedSource>>;
  let outage: Outage;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    server = await createServerDatabase();
    proxy = await startPgProxy(server.url);
    // Sluice reaches the server through the relay (metadata and warehouses alike), so it can be cut.
    const url = throughProxy(server.url, proxy);
    db = new PostgresDatabase({ url, poolMax: 5 });
    await migrate(db);
    t = await createTestApp({ db, url });
    t.services.engine.start();
    source = await startGatedSource(SOURCE_RECORDS);
    outage = new Outage(new URL(server.url).pathname.slice(1), t.services.config.warehousePrefix);
  });

  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    proxy?.setUp(true);
    await t?.close();
    await source?.close();
    await db?.close();
    await proxy?.close();
    await server?.drop();
  });

  it('keeps answering after every connection is terminated while idle', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/runs', headers: bearer(t.adminToken) })).statusCode).toBe(200);
    expect(await outage.terminate()).toBeGreaterThan(0);
    expect((await t.app.inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({ status: 'ok', database: { ok: true } });
    expect((await t.app.inject({ method: 'GET', url: '/api/runs', headers: bearer(t.adminToken) })).statusCode).toBe(200);
    expect(uncaught).toEqual([]);
  });

  it('lands and loads an upload whose connections are terminated mid-ingest and mid-load: each step retried, every row once', async () => {
    await uploadThroughTerminations(outage, async (content) => {
      const body = multipart({ table: 'dropped' }, { name: 'dropped.csv', content });
      const res = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...bearer(t.adminToken), ...body.headers }, payload: body.payload });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ dag_run_id: string }>().dag_run_id;
    });
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/dropped/rows?limit=1', headers: bearer(t.adminToken) })).json<{ total: number }>();
    expect(rows.total).toBe(100 + ROWS);
    expect(uncaught).toEqual([]);
  }, 240_000);

  it('finishes an extract whose connections are terminated while it waits on a slow source, with every record once', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/connections', headers: bearer(t.adminToken), payload: gatedConnection('slow-extract', source.url) });
    expect(created.statusCode, created.body).toBe(201);
    const { runId } = (await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: bearer(t.adminToken), payload: { connectionId: 'slow-extract' } })).json<{ runId: string }>();
    await until('the extract to ask for page 2', async () => source.page2Asked() > 0);
    for (let i = 0; i < 3; i++) {
      await outage.terminate();
      await sleep(300);
    }
    source.release();
    const run = await t.services.engine.waitForRun('default', runId, { timeoutMs: 120_000 });
    expect(run.state, JSON.stringify(run.tasks)).toBe('success');
    expect(run.tasks.find((x) => x.taskId === 'extract')).toMatchObject({ state: 'success', rowsOut: SOURCE_RECORDS });
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/slow_extract/rows?limit=1', headers: bearer(t.adminToken) })).json<{ total: number }>();
    expect(rows.total).toBe(SOURCE_RECORDS);
    expect(uncaught).toEqual([]);
  }, 180_000);

  it('answers 503 while the server cannot be reached, and recovers when it can: health, requests and runs', async () => {
    const source = await startGatedSource(SOURCE_RECORDS);
    onTeardown(() => source.close());
    const created = await t.app.inject({ method: 'POST', url: '/api/connections', headers: bearer(t.adminToken), payload: gatedConnection('across-outage', source.url) });
    expect(created.statusCode, created.body).toBe(201);
    const { runId } = (await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: bearer(t.adminToken), payload: { connectionId: 'across-outage' } })).json<{ runId: string }>();
    await until('the extract to ask for page 2', async () => source.page2Asked() > 0);

    proxy.setUp(false);
    const health = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: 'degraded', database: { kind: 'postgres', ok: false } });
    const refused = await t.app.inject({ method: 'GET', url: '/api/runs', headers: bearer(t.adminToken) });
    expect(refused.statusCode, refused.body).toBe(503);
    // Unreachable, or (a pooled connection whose reset was not yet seen) lost under the request: both transient.
    expect(['database_unavailable', 'database_connection_lost']).toContain(refused.json<{ error: { code: string } }>().error.code);
    await sleep(3000); // heartbeats and claims fail meanwhile

    proxy.setUp(true);
    await until('health to recover', async () => (await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode === 200);
    source.release();
    const run = await t.services.engine.waitForRun('default', runId, { timeoutMs: 120_000 });
    expect(run.state, JSON.stringify(run.tasks)).toBe('success');
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/across_outage/rows?limit=1', headers: bearer(t.adminToken) })).json<{ total: number }>();
    expect(rows.total).toBe(SOURCE_RECORDS);
    expect(uncaught).toEqual([]);
  }, 180_000);
});

describe.runIf(TEST_DATABASE_URL)('sluice start while PostgreSQL drops its connections (a child process)', () => {
  let server: { url: string; drop: () => Promise<void> };
  let proxy: TcpProxy;
  let sluice: RunningSluice;
  let token: string;
  let outage: Outage;
  const prefix = `t${Date.now().toString(36)}_`;

  const api = async (pathname: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(pathname, sluice.url), { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await createServerDatabase();
    proxy = await startPgProxy(server.url);
    sluice = await startSluice({
      cwd: mkdtempSync(path.join(os.tmpdir(), 'sluice-outage-')),
      env: { DATABASE_URL: throughProxy(server.url, proxy), PG_DB_PREFIX: prefix, SLUICE_ADMIN_PASSWORD: 'admin-password-1', SLUICE_SECRET_KEY: 'test secret key of at least thirty-two characters' },
    });
    const login = await fetch(new URL('/api/auth/login', sluice.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@sluice.local', password: 'admin-password-1' }),
    });
    token = ((await login.json()) as { token: string }).token;
    outage = new Outage(new URL(server.url).pathname.slice(1), prefix);
  }, 120_000);

  afterAll(async () => {
    proxy?.setUp(true);
    await sluice?.stop();
    await proxy?.close();
    await dropDatabasesWithPrefix(TEST_DATABASE_URL!, prefix);
    await server?.drop();
  });

  it('stays up through terminations mid-ingest and mid-load and an unreachable server; the upload lands whole; health tells the truth', async () => {
    await uploadThroughTerminations(outage, async (content) => {
      const form = new FormData();
      form.set('table', 'dropped');
      form.set('file', new Blob([content], { type: 'text/csv' }), 'dropped.csv');
      const uploaded = await api('/api/files/', { method: 'POST', body: form });
      expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
      return uploaded.body.dag_run_id as string;
    });
    expect(sluice.process.exitCode).toBeNull();
    expect((await api('/api/tables/dropped/rows?limit=1')).body.total).toBe(100 + ROWS);

    proxy.setUp(false);
    const down = await fetch(new URL('/api/health', sluice.url));
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ database: { ok: false } });
    expect(await outage.terminate()).toBe(0); // nothing of Sluice reaches the server now
    await sleep(2000);
    proxy.setUp(true);
    await until('health to recover', async () => (await fetch(new URL('/api/health', sluice.url))).status === 200);
    expect((await api('/api/tables/dropped/rows?limit=1')).body.total).toBe(100 + ROWS);
    expect(sluice.process.exitCode).toBeNull();
    expect(sluice.output()).not.toContain('shutting down after an error');
  }, 300_000);
});
