import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/index.js';
import { startSluice, type RunningSluice } from './helpers/cli.js';
import { createServerDatabase, TEST_DATABASE_URL } from './helpers/databases.js';
import { dropDatabasesWithPrefix } from './helpers/drop-database.js';
import { startGatedSource } from './helpers/gated-source.js';
import { until } from './helpers/wait.js';

/**
 * `sluice start` killed with SIGKILL in the middle of a task and started
 * again at once: the restart is not refused (the embedded data directory's
 * lock belonged to a dead process), and it takes the dead process's task back
 * before anything else instead of waiting for the task's lease, which is an
 * hour here so that only the fix can finish the run in time.
 */
const RECORDS = 123;

interface Scenario {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The metadata database, opened by the test once no server holds it. */
  open(): Promise<Database>;
  /** What the restarted process says about the killed one, if anything. */
  restartSays?: (killedPid: number) => string;
  cleanup?: () => Promise<void>;
}

function killAndRestart(name: string, scenario: () => Promise<Scenario>, reapedBecause: (killedPid: number) => string) {
  let s: Scenario;
  let source: Awaited<ReturnType<typeof startGatedSource>>;
  const running: RunningSluice[] = [];

  beforeAll(async () => {
    s = await scenario();
    source = await startGatedSource(RECORDS);
  }, 60_000);
  afterAll(async () => {
    for (const r of running) if (r.process.exitCode === null && r.process.signalCode === null) await r.stop();
    await source?.close();
    await s?.cleanup?.();
  });

  it(`${name}: restarted at once after kill -9 mid-task, takes the dead process's task back and finishes the run, long before the lease`, async () => {
    const first = await startSluice({ cwd: s.cwd, env: s.env });
    running.push(first);
    const login = async (url: string) =>
      ((await (await fetch(new URL('/api/auth/login', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@sluice.local', password: 'admin-password-1' }) })).json()) as { token: string }).token;
    const call = async (url: string, token: string, pathname: string, body?: unknown) => {
      const res = await fetch(new URL(pathname, url), {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    let token = await login(first.url);
    await call(first.url, token, '/api/connections', {
      id: 'crash',
      name: 'crash',
      apiConfig: { baseUrl: `${source.url}/items`, recordsPath: '$.data', pagination: { type: 'nextUrl', nextUrlPath: '$.next' } },
      destination: { table: 'crash', writeMode: 'append' },
    });
    const { runId } = (await call(first.url, token, '/api/execute-run', { connectionId: 'crash' })) as { runId: string };
    // The extract has landed page 1 and waits for page 2: kill the process there.
    await until('the extract to ask for page 2', async () => source.page2Asked() > 0);
    const killedPid = first.process.pid!;
    first.process.kill('SIGKILL');
    await first.stop();

    const second = await startSluice({ cwd: s.cwd, env: s.env });
    running.push(second);
    source.release();
    token = await login(second.url);
    const done = await until(
      'the run to end',
      async () => {
        const run = (await call(second.url, token, `/api/runs/${runId}`)) as { state: string; tasks: { taskId: string; tryNumber: number; rowsOut: number | null }[] };
        return ['success', 'failed', 'cancelled'].includes(run.state) ? run : undefined;
      },
      90_000,
    );
    expect(done.state, JSON.stringify(done.tasks)).toBe('success');
    expect(done.tasks.find((t) => t.taskId === 'extract')).toMatchObject({ tryNumber: 2, rowsOut: RECORDS });
    expect(((await call(second.url, token, '/api/tables/crash/rows?limit=1')) as { total: number }).total).toBe(RECORDS);
    await second.stop();

    const db = await s.open();
    try {
      const { rows } = await db.query<{ try_number: number; worker: string; state: string; error: string | null }>(
        "SELECT try_number, worker, state, error FROM task_attempts WHERE run_id = $1 AND task_id = 'extract' ORDER BY try_number",
        [runId],
      );
      expect(rows.map((r) => [r.try_number, r.state])).toEqual([
        [1, 'failed'],
        [2, 'success'],
      ]);
      expect(rows[0]!.worker).toContain(`:${killedPid}:`);
      expect(rows[0]!.error).toContain(reapedBecause(killedPid));
      expect(rows[1]!.worker).toContain(`:${second.process.pid}:`);
    } finally {
      await db.close();
    }
    if (s.restartSays) expect(second.output()).toContain(s.restartSays(killedPid));
  }, 240_000);
}

const baseEnv = {
  SLUICE_ADMIN_PASSWORD: 'admin-password-1',
  SLUICE_HTTP_ALLOW_PRIVATE: 'true',
  SLUICE_SECRET_KEY: 'test secret key of at least thirty-two characters',
  // An hour: waiting for the lease cannot finish the run within the test's time.
  SLUICE_TASK_LEASE_SECONDS: '3600',
  SLUICE_LOG_LEVEL: 'warn',
};

describe('kill -9 and restart on the embedded database', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-crash-'));
  const dataDir = path.join(cwd, '.sluice');
  killAndRestart(
    'sluice start',
    async () => ({
      cwd,
      env: { ...baseEnv, SLUICE_DATA_DIR: dataDir },
      open: () => openDatabase({ kind: 'pglite', dataDir }),
      restartSays: (pid) => `took over the data directory from Sluice process ${pid}, which is no longer running`,
    }),
    () => 'was left running by a Sluice process',
  );
});

describe.runIf(TEST_DATABASE_URL)('kill -9 and restart on a PostgreSQL server', () => {
  killAndRestart(
    'sluice start',
    async () => {
      const server = await createServerDatabase();
      const prefix = `t${Date.now().toString(36)}_`;
      return {
        cwd: mkdtempSync(path.join(os.tmpdir(), 'sluice-crash-')),
        env: { ...baseEnv, DATABASE_URL: server.url, PG_DB_PREFIX: prefix },
        open: () => openDatabase({ kind: 'postgres', url: server.url, poolMax: 1 }),
        cleanup: async () => {
          await dropDatabasesWithPrefix(TEST_DATABASE_URL!, prefix);
          await server.drop();
        },
      };
    },
    (pid) => `pid ${pid}) is no longer running`,
  );
});

