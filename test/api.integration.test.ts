import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from './helpers/databases.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';

interface AuditEventBody {
  action: string;
  outcome: string;
  status: number | null;
  orgId: string | null;
  actor: { type: string; id: string | null };
  target: string | null;
  input: unknown;
  errorCode: string | null;
  requestId: string | null;
}

describeEachDatabase('HTTP API', (fx) => {
  let t: TestApp;
  let acme: { token: string; userId: string; email: string };
  let globex: { token: string; userId: string; email: string };

  beforeAll(async () => {
    t = await createTestApp(fx);
    acme = await t.orgWithUser('acme', 'admin');
    globex = await t.orgWithUser('globex', 'admin');
  });
  afterAll(async () => t?.close());

  const auditOf = async (token: string, query = '') => {
    await t.services.audit.flush();
    const res = await t.app.inject({ url: `/api/audit${query}`, headers: bearer(token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ events: AuditEventBody[] }>().events;
  };

  it('answers health without a token', async () => {
    const res = await t.app.inject({ url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', database: { kind: fx.kind, ok: true }, orchestrator: { kind: 'builtin' } });
    expect(res.json().version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses a request without a token with 401, in the contract error shape', async () => {
    const res = await t.app.inject({ url: '/api/users' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'unauthenticated', message: expect.stringContaining('bearer token') } });
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses an unknown, malformed or revoked token', async () => {
    for (const token of ['nonsense', `slk_${'x'.repeat(43)}`]) {
      const res = await t.app.inject({ url: '/api/users', headers: bearer(token) });
      expect(res.statusCode).toBe(401);
    }
    const user = await t.userIn('acme', 'viewer');
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(user.token) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/auth/me', headers: bearer(user.token) })).statusCode).toBe(401);
  });

  it('logs in with the right password and refuses a wrong one, auditing both in the account’s org', async () => {
    const ok = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: acme.email.toUpperCase(), password: 'user-password-1' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ token: expect.stringMatching(/^slk_/), user: { email: acme.email, role: 'admin' }, org: { id: 'acme' } });

    const bad = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: acme.email, password: 'wrong-password' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('invalid_credentials');
    // The answer must not say whether the email exists.
    const unknown = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password: 'wrong-password' } });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(bad.json());

    const events = await auditOf(acme.token, '?action=auth.login');
    const failed = events.find((e) => e.outcome === 'denied');
    expect(failed).toMatchObject({ status: 401, errorCode: 'invalid_credentials', target: `user:${acme.userId}` });
    expect(JSON.stringify(failed!.input)).not.toContain('wrong-password');
    expect(events.some((e) => e.outcome === 'success')).toBe(true);
  });

  it('slows and then refuses repeated failed logins with 429 and Retry-After', async () => {
    const victim = await t.userIn('globex', 'viewer');
    const limit = t.services.config.auth.loginMaxFailures;
    for (let i = 0; i < limit; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: victim.email, password: `guess-${i}` }, remoteAddress: `10.0.0.${i}` });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: victim.email, password: 'user-password-1' } });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('too_many_login_attempts');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("refuses a viewer's mutation with 403 and records the refusal", async () => {
    const viewer = await t.userIn('acme', 'viewer');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(viewer.token),
      payload: { email: 'new@example.com', password: 'a-long-password', role: 'viewer' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    const events = await auditOf(acme.token, '?action=user.create');
    expect(events[0]).toMatchObject({ outcome: 'denied', status: 403, actor: { type: 'user', id: viewer.userId }, orgId: 'acme' });
    expect(JSON.stringify(events[0]!.input)).not.toContain('a-long-password');
  });

  it("lets an editor read but not manage users; an admin manages them", async () => {
    const editor = await t.userIn('acme', 'editor');
    expect((await t.app.inject({ url: '/api/users', headers: bearer(editor.token) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/tokens', headers: bearer(editor.token) })).statusCode).toBe(403);

    const created = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(acme.token),
      payload: { email: 'Ana@Example.com', password: 'a-long-password', role: 'editor', name: 'Ana' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const ana = created.json<{ id: string; email: string; orgId: string }>();
    expect(ana).toMatchObject({ email: 'ana@example.com', orgId: 'acme' });
    expect(created.body).not.toContain('password');

    const dup = await t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(acme.token),
      payload: { email: 'ana@example.com', password: 'a-long-password', role: 'viewer' },
    });
    expect(dup.statusCode).toBe(409);

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/users/${ana.id}`, headers: bearer(acme.token), payload: { role: 'viewer' } });
    expect(patched.json()).toMatchObject({ role: 'viewer' });
    expect((await t.app.inject({ method: 'DELETE', url: `/api/users/${ana.id}`, headers: bearer(acme.token) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/api/users/${ana.id}`, headers: bearer(acme.token) })).statusCode).toBe(404);

    const events = await auditOf(acme.token, '?action=user.');
    expect(events.slice(0, 3).map((e) => [e.action, e.outcome])).toEqual([
      ['user.delete', 'success'],
      ['user.update', 'success'],
      ['user.create', 'failed'],
    ]);
    expect(events[0]!.target).toBe(`user:${ana.id}`);
  });

  it("keeps org A from seeing org B's users, tokens and audit events", async () => {
    await t.app.inject({ method: 'POST', url: '/api/tokens', headers: bearer(globex.token), payload: { name: 'globex-airflow' } });

    const users = (await t.app.inject({ url: '/api/users', headers: bearer(acme.token) })).json<{ users: { orgId: string; email: string }[] }>().users;
    expect(users.length).toBeGreaterThan(0);
    expect(users.every((u) => u.orgId === 'acme')).toBe(true);
    expect(users.some((u) => u.email === globex.email)).toBe(false);
    expect((await t.app.inject({ url: `/api/users/${globex.userId}`, headers: bearer(acme.token) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/users/${globex.userId}`, headers: bearer(acme.token) })).statusCode).toBe(404);

    const tokens = (await t.app.inject({ url: '/api/tokens', headers: bearer(acme.token) })).json<{ tokens: { orgId: string; name: string }[] }>().tokens;
    expect(tokens.every((tk) => tk.orgId === 'acme')).toBe(true);
    expect(tokens.some((tk) => tk.name === 'globex-airflow')).toBe(false);

    const events = await auditOf(acme.token);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.orgId === 'acme')).toBe(true);
    const globexEvents = await auditOf(globex.token);
    expect(globexEvents.some((e) => e.target?.startsWith('token:'))).toBe(true);
    expect(globexEvents.every((e) => e.orgId === 'globex')).toBe(true);
  });

  it('answers 403 to an org_id or client_id of another organisation, and audits it', async () => {
    const q = await t.app.inject({ url: '/api/users?org_id=globex', headers: bearer(acme.token) });
    expect(q.statusCode).toBe(403);
    expect(q.json().error).toMatchObject({ code: 'forbidden_org', details: { field: 'org_id' } });
    const b = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: bearer(acme.token), payload: { name: 'x', client_id: 'globex' } });
    expect(b.statusCode).toBe(403);
    const own = await t.app.inject({ url: '/api/users?org_id=acme', headers: bearer(acme.token) });
    expect(own.statusCode).toBe(200);
    const events = await auditOf(acme.token);
    expect(events.filter((e) => e.errorCode === 'forbidden_org' && e.outcome === 'denied').length).toBeGreaterThanOrEqual(2);
    // The trail filters by outcome on the server.
    const denied = await auditOf(acme.token, '?outcome=denied');
    expect(denied.length).toBeGreaterThanOrEqual(2);
    expect(denied.every((e) => e.outcome === 'denied')).toBe(true);
    expect((await auditOf(acme.token, '?outcome=success')).every((e) => e.outcome === 'success')).toBe(true);
    expect((await t.app.inject({ url: '/api/audit?outcome=maybe', headers: bearer(acme.token) })).statusCode).toBe(400);
  });

  it('creates API tokens shown once and never with more rights than the creator; revokes them', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: bearer(acme.token), payload: { name: 'airflow', role: 'editor' } });
    expect(res.statusCode).toBe(201);
    const { token, info } = res.json<{ token: string; info: { id: string; prefix: string } }>();
    expect(token.startsWith(info.prefix)).toBe(true);
    const listed = (await t.app.inject({ url: '/api/tokens', headers: bearer(acme.token) })).body;
    expect(listed).toContain(info.id);
    expect(listed).not.toContain(token);
    const stored = await fx.db.query<{ token_hash: Buffer }>('SELECT token_hash FROM api_tokens WHERE id = $1', [info.id]);
    expect(Buffer.from(stored.rows[0]!.token_hash).toString('utf8')).not.toContain(token);

    const me = await t.app.inject({ url: '/api/auth/me', headers: bearer(token) });
    expect(me.json()).toMatchObject({ role: 'editor', user: null, org: { id: 'acme' } });

    const escalate = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: bearer(token), payload: { name: 'x', role: 'admin' } });
    expect(escalate.statusCode).toBe(403);

    const expiring = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: bearer(acme.token), payload: { name: 'short', role: 'viewer', expiresInDays: 2 } });
    const expiresAt = Date.parse(expiring.json<{ info: { expiresAt: string } }>().info.expiresAt);
    expect(Math.round((expiresAt - Date.now()) / 86_400_000)).toBe(2);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/tokens/${info.id}`, headers: bearer(acme.token) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/auth/me', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('names each bad field in a 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/users', headers: bearer(acme.token), payload: { email: 'nope', password: 'short', role: 'owner' } });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: { code: string; details: { issues: { field: string }[] } } }>();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.issues.map((i) => i.field).sort()).toEqual(['email', 'password', 'role']);
    const notJson = await t.app.inject({ method: 'POST', url: '/api/users', headers: { ...bearer(acme.token), 'content-type': 'application/json' }, payload: '{"email":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('bad_request');
  });

  it('disabling a user ends their sessions', async () => {
    const user = await t.userIn('acme', 'editor');
    await t.app.inject({ method: 'PATCH', url: `/api/users/${user.userId}`, headers: bearer(acme.token), payload: { disabled: true } });
    expect((await t.app.inject({ url: '/api/auth/me', headers: bearer(user.token) })).statusCode).toBe(401);
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: 'user-password-1' } });
    expect(login.statusCode).toBe(401);
  });

  it('answers unknown routes with the error shape, sets security headers and a request id', async () => {
    const res = await t.app.inject({ url: '/api/nope', headers: { 'x-request-id': 'req-123' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    // Served over plain http (the default), browsers must not be told to fetch the app's scripts over https.
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('asks browsers to upgrade requests to https only when the public address is https', async () => {
    const secure = await createTestApp(fx, { SLUICE_PUBLIC_URL: 'https://sluice.example.com' });
    try {
      const res = await secure.app.inject({ url: '/api/nope' });
      expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    } finally {
      await secure.close();
    }
  });

  it('serves the OpenAPI document, the docs page and the start page', async () => {
    const doc = await t.app.inject({ url: '/api/openapi.json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/health', '/api/auth/login', '/api/users', '/api/tokens', '/api/audit']));
    expect(paths.some((p) => p.includes('internal'))).toBe(false);
    const spec = doc.json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>();
    // The public routes say so, so that the docs page does not ask for a token there.
    expect(spec.paths['/api/health']!.get!.security).toEqual([]);
    expect(spec.paths['/api/auth/login']!.post!.security).toEqual([]);
    expect(spec.paths['/api/users']!.get!.security).toBeUndefined();
    expect((await t.app.inject({ url: '/api/docs/' })).statusCode).toBe(200);
    const home = await t.app.inject({ url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('/api/docs');
  });

  it('records the request id, actor and a secret-free input on each audited call', async () => {
    const other = await t.userIn('acme', 'viewer');
    await t.app.inject({
      method: 'PATCH',
      url: `/api/users/${other.userId}`,
      headers: { ...bearer(acme.token), 'x-request-id': 'audit-req-1' },
      payload: { password: 'brand-new-password' },
    });
    const [event] = await auditOf(acme.token, '?action=user.update&limit=1');
    expect(event).toMatchObject({ requestId: 'audit-req-1', actor: { type: 'user', id: acme.userId }, outcome: 'success' });
    expect(JSON.stringify(event!.input)).toContain('********');
    expect(JSON.stringify(event!.input)).not.toContain('brand-new-password');
  });
});

describeEachDatabase('HTTP API with CORS configured', (fx) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(fx, { SLUICE_CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(async () => t?.close());

  it('allows only the configured origin', async () => {
    const ok = await t.app.inject({ url: '/api/health', headers: { origin: 'https://app.example.com' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await t.app.inject({ url: '/api/health', headers: { origin: 'https://evil.example.com' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
