import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, TEST_DATABASE_URL } from './helpers/databases.js';
import { runSluice, startSluice, type RunningSluice } from './helpers/cli.js';

const api = async (url: string, pathname: string, init: { token?: string; method?: string; body?: unknown } = {}) => {
  const res = await fetch(new URL(pathname, url), {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('sluice on the embedded database', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-'));
  const dataDir = path.join(cwd, '.sluice');
  let server: RunningSluice;

  beforeAll(async () => {
    server = await startSluice({ cwd });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('starts with no settings, prints the URL and a generated admin password that logs in', async () => {
    const password = /password:\s+(\S+)/.exec(server.output())?.[1];
    expect(password).toBeTruthy();
    expect((await api(server.url, '/api/health')).status).toBe(200);
    const login = await api(server.url, '/api/auth/login', { method: 'POST', body: { email: 'admin@sluice.local', password } });
    expect(login.status).toBe(200);
    const me = await api(server.url, '/api/auth/me', { token: login.body.token as string });
    expect(me.body).toMatchObject({ role: 'admin', org: { id: 'default' } });
  });

  it('runs org, user and token commands while the server holds the data directory', async () => {
    const org = await runSluice(['org', 'create', 'acme2', '--name', 'Acme Two'], { cwd });
    expect(org.code, org.stderr).toBe(0);
    expect(org.stdout).toContain('acme2');

    const user = await runSluice(['user', 'create', '--org', 'acme2', '--email', 'ops@acme2.example', '--role', 'viewer', '--json'], { cwd });
    expect(user.code, user.stderr).toBe(0);
    const created = JSON.parse(user.stdout) as { user: { orgId: string; role: string }; password: string };
    expect(created.user).toMatchObject({ orgId: 'acme2', role: 'viewer' });
    expect(created.password.length).toBeGreaterThanOrEqual(16);

    const token = await runSluice(['token', 'create', '--org', 'acme2', '--role', 'admin'], { cwd });
    expect(token.code, token.stderr).toBe(0);
    const secret = token.stdout.trim();
    expect(token.stdout).toBe(`${secret}\n`);
    expect(secret).toMatch(/^slk_/);

    // The new token works for acme2 and is refused on default's data.
    expect((await api(server.url, '/api/org', { token: secret })).body).toMatchObject({ id: 'acme2', name: 'Acme Two' });
    const users = await api(server.url, '/api/users', { token: secret });
    expect((users.body.users as { email: string }[]).map((u) => u.email)).toEqual(['ops@acme2.example']);
    expect((await api(server.url, '/api/users?org_id=default', { token: secret })).status).toBe(403);

    // The CLI's actions are in acme2's audit trail, with the CLI as actor.
    const audit = await api(server.url, '/api/audit', { token: secret });
    const actions = (audit.body.events as { action: string; actor: { type: string } }[]).filter((e) => e.actor.type === 'cli').map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['org.create', 'user.create', 'token.create']));
  });

  it('fails a repeated create with exit 1 and a message, not a stack trace', async () => {
    const again = await runSluice(['org', 'create', 'acme2'], { cwd });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    noStackTrace(again.stderr);
    const json = await runSluice(['org', 'create', 'acme2', '--json'], { cwd });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'conflict', message: expect.stringContaining('already exists') } });
  });

  it('refuses to start on a port that is taken, saying which', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-port-'));
    const port = new URL(server.url).port;
    const result = await runSluice(['start'], { cwd: other, env: { PORT: port } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port}`);
    noStackTrace(result.stderr);
  });

  it('reports the migrations it applies to a new data directory', async () => {
    const fresh = mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-migrate-'));
    const first = await runSluice(['migrate', '--json'], { cwd: fresh });
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { applied: { id: number; name: string }[]; current: number };
    expect(report.applied[0]).toEqual({ id: 1, name: 'foundation' });
    expect(report.applied).toHaveLength(report.current);
    const second = await runSluice(['migrate'], { cwd: fresh });
    expect(second.stdout).toContain('up to date');
  });

  it('prepares the template new embedded data directories are copied from (npm install runs it)', async () => {
    const result = await runSluice(['prepare', '--json'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    const { template } = JSON.parse(result.stdout) as { template: string | null };
    expect(template).toMatch(/pglite-\d+\.\d+\.\d+$/);
    expect(existsSync(path.join(template!, 'PG_VERSION'))).toBe(true);
  });

  it('exits 2 on bad usage and bad input, naming the problem', async () => {
    const missing = await runSluice(['user', 'create', '--org', 'acme2'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--email');
    const badRole = await runSluice(['user', 'create', '--org', 'acme2', '--email', 'a@b.example', '--role', 'owner'], { cwd });
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('role');
    const badEnv = await runSluice(['migrate'], { cwd, env: { PORT: 'x', SLUICE_DB_POOL_MAX: '0' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('PORT');
    expect(badEnv.stderr).toContain('SLUICE_DB_POOL_MAX');
    noStackTrace(badEnv.stderr);
  });

  it('refuses a second server on the same data directory, saying what to do', async () => {
    const second = await runSluice(['start'], { cwd, env: { PORT: '0' } });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use by another Sluice process \(pid \d+/);
    expect(second.stderr).toContain('SLUICE_DATA_DIR');
    noStackTrace(second.stderr);
    expect((await api(server.url, '/api/health')).status).toBe(200);
  });

  it('stops cleanly on SIGTERM, and the data is there for the next process', async () => {
    expect(existsSync(path.join(dataDir, 'control.json'))).toBe(true);
    expect(await server.stop()).toBe(0);
    expect(existsSync(path.join(dataDir, 'control.json'))).toBe(false);
    const migrate = await runSluice(['migrate', '--json'], { cwd });
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(JSON.parse(migrate.stdout)).toMatchObject({ applied: [] });
    const dup = await runSluice(['org', 'create', 'acme2'], { cwd });
    expect(dup.code).toBe(1);
  });
});

describe.skipIf(!TEST_DATABASE_URL)('sluice on a PostgreSQL server', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-pg-'));
  let db: { url: string; drop: () => Promise<void> };
  let servers: RunningSluice[] = [];

  beforeAll(async () => {
    db = await createServerDatabase();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
  });

  it('starts two servers on one database at once: one migration, one admin, shared tokens', async () => {
    const env = { DATABASE_URL: db.url, SLUICE_ADMIN_PASSWORD: 'first-admin-password' };
    servers = await Promise.all([startSluice({ cwd, env }), startSluice({ cwd, env })]);
    expect(servers.filter((s) => s.output().includes('Created organisation "default"'))).toHaveLength(1);
    for (const s of servers) {
      expect((await api(s.url, '/api/health')).body).toMatchObject({ database: { kind: 'postgres', ok: true } });
    }
    const login = await api(servers[0]!.url, '/api/auth/login', { method: 'POST', body: { email: 'admin@sluice.local', password: 'first-admin-password' } });
    expect(login.status).toBe(200);
    expect((await api(servers[1]!.url, '/api/auth/me', { token: login.body.token as string })).status).toBe(200);
  });

  it('runs CLI commands directly against the shared database while servers run', async () => {
    const env = { DATABASE_URL: db.url };
    expect((await runSluice(['org', 'create', 'acme2'], { cwd, env })).code).toBe(0);
    const token = await runSluice(['token', 'create', '--org', 'acme2'], { cwd, env });
    expect(token.code, token.stderr).toBe(0);
    const secret = token.stdout.trim();
    for (const s of servers) {
      expect((await api(s.url, '/api/org', { token: secret })).body).toMatchObject({ id: 'acme2' });
      expect((await api(s.url, '/api/users?org_id=default', { token: secret })).status).toBe(403);
    }
  });
});

describe('sluice after a crash of the server', () => {
  it('lets the next command and the next server take the data directory over at once, its data intact', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-crash-'));
    const server = await startSluice({ cwd });
    server.process.kill('SIGKILL');
    await server.stop();
    // The killed server's lock and control file are still there; its process is not.
    const result = await runSluice(['org', 'create', 'after-crash'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('after-crash');
    const again = await startSluice({ cwd });
    try {
      const twice = await runSluice(['org', 'create', 'after-crash'], { cwd });
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain('already exists');
      noStackTrace(twice.stderr);
    } finally {
      await again.stop();
    }
  }, 120_000);
});
