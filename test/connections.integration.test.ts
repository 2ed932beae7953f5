import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { clearOAuthTokenCache } from '../src/connectors/http/auth/index.js';
import { describeEachDatabase } from './helpers/databases.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';

interface PreviewBody {
  records: Record<string, unknown>[];
  raw: Record<string, unknown>[];
  schema: { name: string; type: string; nullable: boolean }[];
  requests: { url: string; status: number | null; ms: number }[];
  rejected: { record: unknown; field: string | null; reason: string }[];
  stopReason: string | null;
  recordsPath: string | null;
}

describeEachDatabase('Connections API', (fx) => {
  let t: TestApp;
  let api: FakeApi;
  let acme: { token: string; userId: string };
  let globex: { token: string };

  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(fx);
    acme = await t.orgWithUser('acme', 'editor');
    globex = await t.orgWithUser('globex', 'admin');
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });
  beforeEach(() => {
    api.reset();
    clearOAuthTokenCache();
  });

  const post = (url: string, payload: unknown, token = acme.token) => t.app.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object });
  const preview = async (apiConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const res = await post('/api/connections/preview', { name: 'Preview', apiConfig, ...extra });
    return { status: res.statusCode, body: res.json<PreviewBody & { error: { code: string; message: string } }>() };
  };

  it('creates a connection with the contract fields, masks its secrets and keeps them encrypted at rest', async () => {
    const res = await post('/api/connections', {
      id: 'crm-users',
      name: 'CRM users',
      apiConfig: { baseUrl: `${api.url}/bearer`, auth: { type: 'bearer', token: 'good-token' }, headers: { 'X-Api-Key': 'header-secret' } },
      fieldMappings: [{ source: '$.id', target: 'id', type: 'integer', required: true }],
      destination: { table: 'users', writeMode: 'upsert', primaryKey: ['id'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ id: 'crm-users', orgId: 'acme', apiConfig: { auth: { type: 'bearer', token: '********' }, headers: { 'X-Api-Key': '********' }, method: 'GET', pagination: { type: 'none' } } });
    expect(res.body).not.toContain('good-token');
    expect(res.body).not.toContain('header-secret');

    const stored = await fx.db.query<{ config: unknown; secrets: string }>('SELECT config, secrets FROM connections WHERE id = $1', ['crm-users']);
    expect(JSON.stringify(stored.rows[0])).not.toContain('good-token');
    expect(JSON.stringify(stored.rows[0])).not.toContain('header-secret');

    const listed = await t.app.inject({ url: '/api/connections', headers: bearer(acme.token) });
    expect(listed.body).not.toContain('good-token');
    expect(listed.json().connections.map((c: { id: string }) => c.id)).toContain('crm-users');

    // The audit trail records the creation without the secret.
    await t.services.audit.flush();
    const events = await t.services.audit.list('acme', { action: 'connection.create' });
    expect(events[0]).toMatchObject({ outcome: 'success', target: 'connection:crm-users' });
    expect(JSON.stringify(events[0]!.input)).not.toContain('good-token');
  });

  it('previews an unsaved connection without a name, proposing column types a few stray values do not spoil', async () => {
    const res = await post('/api/connections/preview', { apiConfig: { baseUrl: `${api.url}/stray` } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<PreviewBody>();
    expect(body.records).toHaveLength(50);
    expect(body.schema.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['sold', 'integer'],
      ['on', 'date'],
    ]);
    // With the proposed mapping saved, the stray record is what gets rejected, with its reason.
    const mapped = await post('/api/connections/preview', {
      apiConfig: { baseUrl: `${api.url}/stray` },
      fieldMappings: body.schema.map((c) => ({ source: `$.${c.name}`, target: c.name, type: c.type })),
    });
    const rejected = mapped.json<PreviewBody>().rejected;
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ field: 'id', reason: '"eleven" is not an integer' });
  });

  it('never lets a stored secret follow the connection to another host', async () => {
    const current = (await t.app.inject({ url: '/api/connections/crm-users', headers: bearer(acme.token) })).json();
    // Same server, another path: the secret stays.
    const samePlace = await t.app.inject({
      method: 'PATCH',
      url: '/api/connections/crm-users',
      headers: bearer(acme.token),
      payload: { apiConfig: { ...current.apiConfig, baseUrl: `${api.url}/bearer?page=1` } },
    });
    expect(samePlace.statusCode, samePlace.body).toBe(200);
    // Another host (another port is another server) with the secrets sent back masked: refused, naming each secret.
    const elsewhere = `http://127.0.0.2:${new URL(api.url).port}/bearer`;
    const moved = await t.app.inject({
      method: 'PATCH',
      url: '/api/connections/crm-users',
      headers: bearer(acme.token),
      payload: { apiConfig: { ...current.apiConfig, baseUrl: elsewhere } },
    });
    expect(moved.statusCode).toBe(422);
    const error = moved.json<{ error: { code: string; message: string; details: { issues: { field: string; message: string }[] } } }>().error;
    expect(error.code).toBe('invalid_config');
    expect(error.details.issues.map((i) => i.field).sort()).toEqual(['apiConfig.auth.token', 'apiConfig.headers.X-Api-Key']);
    expect(error.message).toContain('a stored secret is never sent to another host');
    // Nothing changed; with the secrets sent again the move is fine.
    expect((await t.app.inject({ url: '/api/connections/crm-users', headers: bearer(acme.token) })).json().apiConfig.baseUrl).toBe(`${api.url}/bearer?page=1`);
    const resent = await t.app.inject({
      method: 'PATCH',
      url: '/api/connections/crm-users',
      headers: bearer(acme.token),
      payload: { apiConfig: { ...current.apiConfig, baseUrl: elsewhere, auth: { type: 'bearer', token: 'good-token' }, headers: { ...current.apiConfig.headers, 'X-Api-Key': 'header-secret' } } },
    });
    expect(resent.statusCode, resent.body).toBe(200);
    const back = await t.app.inject({
      method: 'PATCH',
      url: '/api/connections/crm-users',
      headers: bearer(acme.token),
      payload: { apiConfig: { ...current.apiConfig, auth: { type: 'bearer', token: 'good-token' }, headers: { ...current.apiConfig.headers, 'X-Api-Key': 'header-secret' } } },
    });
    expect(back.statusCode, back.body).toBe(200);
  });

  it('keeps a stored secret when a PATCH sends the mask back, and replaces it when a new one is sent', async () => {
    const get = await t.app.inject({ url: '/api/connections/crm-users', headers: bearer(acme.token) });
    const current = get.json();
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/connections/crm-users',
      headers: bearer(acme.token),
      payload: { name: 'CRM users (renamed)', apiConfig: current.apiConfig },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'CRM users (renamed)', apiConfig: { auth: { token: '********' } } });
    const ok = await post('/api/connections/crm-users/preview', {});
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<PreviewBody>().records).toHaveLength(3);

    const changed = await t.app.inject({
      method: 'PATCH',
      url: '/api/connections/crm-users',
      headers: bearer(acme.token),
      payload: { apiConfig: { auth: { type: 'bearer', token: 'wrong-token' } } },
    });
    expect(changed.statusCode).toBe(200);
    const refused = await post('/api/connections/crm-users/preview', {});
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('source_auth_failed');
    expect(refused.json().error.message).toContain('/bearer');
  });

  it('keeps API keys, client secrets and credential parameters out of the audit trail, even from invalid bodies', async () => {
    const body = {
      name: 'keys',
      apiConfig: { baseUrl: `${api.url}/apikey-query`, auth: { type: 'apiKey', in: 'query', name: 'api_key', value: 'audit-key-1' } },
      parameters: [{ name: 'access_token', in: 'query', value: 'audit-param-2' }],
    };
    expect((await post('/api/connections', body)).statusCode).toBe(201);
    // Invalid: fails the schema before the handler runs, and must still be masked.
    expect((await post('/api/connections', { ...body, apiConfig: { ...body.apiConfig, baseUrl: 'nope' } })).statusCode).toBe(422);
    // The fake API refuses this key (403): the preview fails, and its audit record must still be masked.
    expect((await post('/api/connections/preview', body)).statusCode).toBe(422);
    await t.services.audit.flush();
    const events = await t.services.audit.list('acme', { action: 'connection.' });
    const dump = JSON.stringify(events);
    expect(dump).not.toContain('audit-key-1');
    expect(dump).not.toContain('audit-param-2');
    expect(events.filter((e) => e.outcome === 'failed').length).toBeGreaterThan(0);
  });

  it('refuses the mask where no secret is stored', async () => {
    const res = await post('/api/connections', { name: 'x', apiConfig: { baseUrl: `${api.url}/bearer`, auth: { type: 'bearer', token: '********' } } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details.issues[0].field).toBe('apiConfig.auth.token');
  });

  it('answers 422 naming every bad field', async () => {
    const res = await post('/api/connections', {
      name: '',
      apiConfig: { baseUrl: 'ftp://example.com', pagination: { type: 'cursor' }, recordsPath: 'data' },
      fieldMappings: [
        { source: '$.id', target: 'id', type: 'integer' },
        { source: '$.id', target: 'id', type: 'uuid' },
      ],
    });
    expect(res.statusCode).toBe(422);
    const fields = res.json<{ error: { code: string; details: { issues: { field: string }[] } } }>().error.details.issues.map((i) => i.field);
    expect(res.json().error.code).toBe('invalid_config');
    expect(fields).toEqual(expect.arrayContaining(['name', 'apiConfig.baseUrl', 'apiConfig.pagination.cursorPath', 'apiConfig.recordsPath', 'fieldMappings.1.type']));

    // A URL that does not parse at all is a field error too, not a crash.
    const garbage = await post('/api/connections', { name: 'g', apiConfig: { baseUrl: 'not a url' } });
    expect(garbage.statusCode).toBe(422);
    expect(garbage.json().error.details.issues).toEqual([{ field: 'apiConfig.baseUrl', message: expect.stringContaining('http://') }]);

    const semantic = await post('/api/connections', {
      name: 'semantic',
      apiConfig: { baseUrl: `${api.url}/users/{userId}`, pagination: { type: 'cursor', cursorPath: '$.meta[' } },
      parameters: [{ name: 'since', in: 'query', value: '{{ unclosed' }],
      fieldMappings: [
        { source: '$.id', target: 'id', type: 'integer' },
        { source: '$.name', target: 'id', type: 'string' },
      ],
      destination: { table: 'users', writeMode: 'upsert' },
    });
    expect(semantic.statusCode).toBe(422);
    const semanticFields = semantic.json<{ error: { details: { issues: { field: string }[] } } }>().error.details.issues.map((i) => i.field);
    expect(semanticFields).toEqual(
      expect.arrayContaining(['apiConfig.baseUrl', 'parameters.0.value', 'destination.primaryKey', 'apiConfig.pagination.cursorPath']),
    );
    expect(semanticFields.some((f) => f.startsWith('fieldMappings.1'))).toBe(true);
  });

  it('answers malformed connection bodies with a 4xx, never a 500', async () => {
    const bodies: unknown[] = [
      [],
      'text',
      42,
      { name: 'x' },
      { name: 'x', apiConfig: null },
      { name: 'x', apiConfig: { baseUrl: 'http://[::1' } },
      { name: 'x', apiConfig: { baseUrl: `${api.url}/users`, auth: { type: 'oauth2ClientCredentials' } } },
      { name: 'x', apiConfig: { baseUrl: `${api.url}/users`, pagination: { type: 'page', pageSize: -1 } } },
      { name: 'x', apiConfig: { baseUrl: `${api.url}/users`, headers: { 'bad header': 'v' } } },
      { name: 'x', apiConfig: { baseUrl: `${api.url}/users`, recordsPath: '$[' } },
      { name: 'x', apiConfig: { baseUrl: `${api.url}/users` }, fieldMappings: [{ source: '$.a', target: '__proto__' }] },
      { name: 'x', apiConfig: { baseUrl: `${api.url}/users` }, fieldMappings: [{ source: '$..[?(@.constructor())]', target: 'a', type: 'json' }] },
      { name: 'x', apiConfig: { baseUrl: `${api.url}/users` }, parameters: [{ name: 'p', value: "{% include 'x' %}" }] },
      { name: 'x', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: 'Bad Table' } },
    ];
    for (const body of bodies) {
      for (const url of ['/api/connections', '/api/connections/preview']) {
        const res = await t.app.inject({ method: 'POST', url, headers: { ...bearer(acme.token), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        expect(res.statusCode, `${url} ${JSON.stringify(body)}: ${res.body}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${url} ${JSON.stringify(body)}: ${res.body}`).toBeLessThan(500);
      }
    }
  });

  it("keeps organisations apart: org B cannot read, change, preview or delete org A's connection", async () => {
    for (const [method, url] of [
      ['GET', '/api/connections/crm-users'],
      ['PATCH', '/api/connections/crm-users'],
      ['DELETE', '/api/connections/crm-users'],
      ['POST', '/api/connections/crm-users/preview'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: bearer(globex.token), ...(method === 'PATCH' ? { payload: { name: 'stolen' } } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const list = await t.app.inject({ url: '/api/connections', headers: bearer(globex.token) });
    expect(list.json().connections).toEqual([]);
    expect((await t.app.inject({ url: '/api/connections/crm-users', headers: bearer(acme.token) })).json().name).toBe('CRM users (renamed)');
  });

  it("answers an id another organisation holds exactly as one of the caller's own, saying nothing of it, and leaves that organisation's connection alone", async () => {
    expect((await post('/api/connections', { id: 'acme-held', name: 'held', apiConfig: { baseUrl: `${api.url}/users` } })).statusCode).toBe(201);
    const before = await t.app.inject({ url: '/api/connections/acme-held', headers: bearer(acme.token) });
    const own = await post('/api/connections', { id: 'globex-own', name: 'own', apiConfig: { baseUrl: `${api.url}/users` } }, globex.token);
    expect(own.statusCode).toBe(201);
    const answer = (id: string, res: { statusCode: number; json(): unknown }) => ({ status: res.statusCode, body: JSON.stringify(res.json()).replaceAll(JSON.stringify(id).slice(1, -1), '<id>') });

    const create = (id: string) => post('/api/connections', { id, name: 'mine now', apiConfig: { baseUrl: `${api.url}/users` } }, globex.token);
    const schedule = (id: string) =>
      post('/api/scheduler', { connectionId: id, scheduleType: 'daily', workflowConfig: { connectionId: id, apiConfig: { baseUrl: `${api.url}/users` } } }, globex.token);
    for (const attempt of [create, schedule]) {
      const theirs = answer('acme-held', await attempt('acme-held'));
      const mine = answer('globex-own', await attempt('globex-own'));
      if (attempt === create) {
        // Globex's own id is taken too: the two answers must be the same.
        expect(theirs).toEqual(mine);
        expect(theirs.status).toBe(409);
        expect(theirs.body).not.toMatch(/exist|organi[sz]ation|acme/i);
        expect(JSON.parse(theirs.body)).toEqual({ error: { code: 'conflict', message: 'The connection id "<id>" is not available; choose another id, or leave id out to have one generated' } });
      } else {
        // A schedule of an existing connection of one's own is created; of another's, refused as taken, creating nothing.
        expect(mine.status).toBe(201);
        expect(theirs).toEqual(answer('acme-held', await create('acme-held')));
      }
    }
    const executed = await post('/api/execute-run', { workflowConfig: { connectionId: 'acme-held', apiConfig: { baseUrl: `${api.url}/users` } } }, globex.token);
    expect(answer('acme-held', executed)).toEqual(answer('acme-held', await create('acme-held')));

    // Globex got nothing of acme-held; acme's is as it was.
    expect((await t.app.inject({ url: '/api/connections/acme-held', headers: bearer(globex.token) })).statusCode).toBe(404);
    const schedules = (await t.app.inject({ url: '/api/scheduler', headers: bearer(globex.token) })).json<{ schedules: { connectionId: string }[] }>().schedules;
    expect(schedules.map((x) => x.connectionId)).toEqual(['globex-own']);
    const after = await t.app.inject({ url: '/api/connections/acme-held', headers: bearer(acme.token) });
    expect(after.json()).toEqual(before.json());
    expect((await t.app.inject({ url: '/api/scheduler', headers: bearer(acme.token) })).json().schedules).toEqual([]);
  });

  it("refuses a viewer's changes", async () => {
    const viewer = await t.userIn('acme', 'viewer');
    expect((await post('/api/connections', { name: 'v', apiConfig: { baseUrl: `${api.url}/users` } }, viewer.token)).statusCode).toBe(403);
    expect((await post('/api/connections/crm-users/preview', {}, viewer.token)).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/connections', headers: bearer(viewer.token) })).statusCode).toBe(200);
  });

  it('previews a root array with every top-level field as an inferred column, writing nothing', async () => {
    const before = await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM connections');
    const { status, body } = await preview({ baseUrl: `${api.url}/users` });
    expect(status).toBe(200);
    expect(body.records).toHaveLength(23);
    expect(body.raw[0]).toEqual(api.users[0]);
    expect(body.schema).toEqual(
      expect.arrayContaining([
        { name: 'id', type: 'integer', nullable: false },
        { name: 'address', type: 'json', nullable: false },
        { name: 'active', type: 'boolean', nullable: false },
        { name: 'updated_at', type: 'timestamp', nullable: false },
      ]),
    );
    expect(body.requests).toEqual([expect.objectContaining({ url: `${api.url}/users`, status: 200 })]);
    expect(body.stopReason).toBe('single_request');
    const after = await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM connections');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('maps fields by JSONPath with types, coercing numbers sent as strings and rejecting what does not fit', async () => {
    const { status, body } = await preview(
      { baseUrl: `${api.url}/mixed` },
      {
        fieldMappings: [
          { source: '$.id', target: 'id', type: 'integer', required: true },
          { source: '$.score', target: 'score', type: 'number' },
          { source: '$.when', target: 'day', type: 'date' },
        ],
      },
    );
    expect(status).toBe(200);
    expect(body.records).toEqual([{ id: 1, score: 1.5, day: '2026-01-02' }]);
    expect(body.rejected).toHaveLength(2);
    expect(body.rejected.map((r) => r.field)).toEqual(['id', 'id']);
    expect(body.rejected[0]!.reason).toContain('"x"');
    expect(body.schema).toEqual([
      { name: 'id', type: 'integer', nullable: false },
      { name: 'score', type: 'number', nullable: true },
      { name: 'day', type: 'date', nullable: true },
    ]);
  });

  it('finds records in an envelope, or at recordsPath, and maps nested fields', async () => {
    const auto = await preview({ baseUrl: `${api.url}/envelope` });
    expect(auto.body.recordsPath).toBe('$.data');
    expect(auto.body.records).toHaveLength(5);
    const mapped = await preview({ baseUrl: `${api.url}/envelope`, recordsPath: '$.data' }, { fieldMappings: [{ source: '$.address.city', target: 'city' }] });
    expect(mapped.body.records[0]).toEqual({ city: 'Lisbon' });
    const wrong = await preview({ baseUrl: `${api.url}/envelope`, recordsPath: '$.items' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.message).toMatch(/No records at \$\.items.*data, meta/);
  });

  it.each([
    ['page with total pages', { baseUrl: '/page', recordsPath: '$.data', pagination: { type: 'page', pageParam: 'page', sizeParam: 'per_page', pageSize: 10, totalPagesPath: '$.total_pages' } }, 'total_pages_reached', 3],
    ['page until a short page', { baseUrl: '/page-short', recordsPath: '$.data', pagination: { type: 'page', sizeParam: 'per_page', pageSize: 10 } }, 'short_page', 3],
    ['offset with a total in the body', { baseUrl: '/offset', recordsPath: '$.items', pagination: { type: 'offset', limit: 10, totalPath: '$.total' } }, 'total_reached', 3],
    ['offset with a total header', { baseUrl: '/offset', recordsPath: '$.items', pagination: { type: 'offset', limit: 10, totalHeader: 'X-Total-Count' } }, 'total_reached', 3],
    ['cursor', { baseUrl: '/cursor', recordsPath: '$.data', pagination: { type: 'cursor', cursorPath: '$.meta.next_cursor', cursorParam: 'cursor' } }, 'no_cursor', 3],
    ['next URL (relative)', { baseUrl: '/next', recordsPath: '$.results', pagination: { type: 'nextUrl', nextUrlPath: '$.next' } }, 'no_next_url', 3],
    ['Link header', { baseUrl: '/link', pagination: { type: 'linkHeader' } }, 'no_next_link', 3],
  ])('paginates: %s', async (_name, config, stopReason, pages) => {
    const { status, body } = await preview({ ...config, baseUrl: `${api.url}${config.baseUrl}` });
    expect(status, JSON.stringify(body)).toBe(200);
    // The preview reads at most 50 records; the fake API has 23, spread over 3 pages.
    expect(body.raw.map((r) => r.id)).toEqual(api.users.map((u) => u.id));
    expect(body.stopReason).toBe(stopReason);
    expect(body.requests).toHaveLength(pages);
  });

  it('stops at maxPages, and stops a repeated cursor or next URL with a clear error', async () => {
    const capped = await preview({ baseUrl: `${api.url}/cursor`, recordsPath: '$.data', pagination: { type: 'cursor', cursorPath: '$.meta.next_cursor', maxPages: 2 } });
    expect(capped.body.stopReason).toBe('max_pages');
    expect(capped.body.raw).toHaveLength(20);
    const loop = await preview({ baseUrl: `${api.url}/loop-cursor`, recordsPath: '$.data', pagination: { type: 'cursor', cursorPath: '$.meta.next_cursor' } });
    expect(loop.status).toBe(422);
    expect(loop.body.error.code).toBe('source_pagination_loop');
    const loopNext = await preview({ baseUrl: `${api.url}/loop-next`, recordsPath: '$.results', pagination: { type: 'nextUrl', nextUrlPath: '$.next' } });
    expect(loopNext.body.error.code).toBe('source_pagination_loop');
  });

  it.each([
    ['bearer', { baseUrl: '/bearer', auth: { type: 'bearer', token: 'good-token' } }],
    ['basic with a colon in the password', { baseUrl: '/basic', auth: { type: 'basic', username: 'alice', password: 'pa:ss' } }],
    ['API key in a header', { baseUrl: '/apikey-header', auth: { type: 'apiKey', in: 'header', name: 'X-API-Key', value: 'k-123' } }],
    ['API key in the query', { baseUrl: '/apikey-query', auth: { type: 'apiKey', in: 'query', name: 'api_key', value: 'k-123' } }],
  ])('authenticates: %s', async (_name, config) => {
    const { status, body } = await preview({ ...config, baseUrl: `${api.url}${config.baseUrl}` });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.records).toHaveLength(3);
    expect(JSON.stringify(body.requests)).not.toContain('k-123');
  });

  it('authenticates with OAuth2 client credentials (secret in the body or as basic), caching the token', async () => {
    for (const clientAuth of ['body', 'basic']) {
      clearOAuthTokenCache();
      const config = {
        baseUrl: `${api.url}/oauth/data`,
        recordsPath: '$.data',
        auth: { type: 'oauth2ClientCredentials', tokenUrl: `${api.url}/oauth/token`, clientId: 'client-1', clientSecret: 's3cret:+/', clientAuth },
        pagination: { type: 'page', pageSize: 10 },
      };
      const issued = api.tokensIssued();
      const { status, body } = await preview(config);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.raw).toHaveLength(23);
      expect(api.tokensIssued() - issued).toBe(1);
      await preview(config);
      expect(api.tokensIssued() - issued).toBe(1);
    }
    const bad = await preview({
      baseUrl: `${api.url}/oauth/data`,
      auth: { type: 'oauth2ClientCredentials', tokenUrl: `${api.url}/oauth/token`, clientId: 'client-1', clientSecret: 'wrong' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'source_auth_failed', message: expect.stringContaining('invalid_client') });
  });

  it('fetches a new OAuth token when the old one expires mid-run', async () => {
    api.setTokenLifetime(1);
    try {
      const config = {
        baseUrl: `${api.url}/oauth/data`,
        recordsPath: '$.data',
        auth: { type: 'oauth2ClientCredentials', tokenUrl: `${api.url}/oauth/token`, clientId: 'client-1', clientSecret: 's3cret:+/' },
        pagination: { type: 'page', pageSize: 10 },
        // One page a second: the 1-second token expires between pages.
        rateLimit: { requestsPerSecond: 0.8 },
      };
      const { status, body } = await preview(config);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.raw).toHaveLength(23);
      expect(api.requestsTo('/oauth/token').length).toBeGreaterThanOrEqual(2);
    } finally {
      api.setTokenLifetime(3600);
    }
  });

  it('renders templated parameters and leaves out the ones that render empty', async () => {
    const { status } = await preview(
      { baseUrl: `${api.url}/users`, headers: { 'X-Requested-At': "{{ now | date: '%Y' }}" } },
      {
        parameters: [
          { name: 'since', in: 'query', value: "{{ last_run_at | date: '%Y-%m-%d' }}" },
          { name: 'fixed', in: 'query', value: 'yes' },
          { name: 'X-Trace', in: 'header', value: 'trace-1' },
        ],
      },
    );
    expect(status).toBe(200);
    const [request] = api.requestsTo('/users');
    expect(request!.query).toEqual({ fixed: 'yes' });
    expect(request!.headers['x-trace']).toBe('trace-1');
    expect(request!.headers['x-requested-at']).toBe(String(new Date().getUTCFullYear()));
  });

  it('advances the incremental cursor only when the data that produced it is committed', async () => {
    const created = await post('/api/connections', {
      id: 'incremental-users',
      name: 'Incremental users',
      apiConfig: { baseUrl: `${api.url}/users` },
      parameters: [
        { name: 'updated_since', in: 'query', value: '{{ cursor }}' },
        { name: 'after', in: 'query', value: "{{ last_run_at | date: '%Y-%m-%d' }}" },
      ],
      incremental: { cursorField: 'updated_at' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const connections = t.services.connections;

    await connections.saveCursorCandidate('acme', 'incremental-users', '2026-01-23T00:00:00.000Z', 'run-1');
    expect((await connections.getForExtraction('acme', 'incremental-users')).state.cursor).toBeUndefined();
    await connections.commitCursor('acme', 'incremental-users', 'run-other', new Date('2026-02-01T10:00:00Z'));
    expect((await connections.getForExtraction('acme', 'incremental-users')).state.cursor).toBeUndefined();
    await connections.commitCursor('acme', 'incremental-users', 'run-1', new Date('2026-02-01T10:00:00Z'));
    const { state } = await connections.getForExtraction('acme', 'incremental-users');
    expect(state.cursor).toBe('2026-01-23T00:00:00.000Z');
    // Another organisation cannot move it.
    await connections.commitCursor('globex', 'incremental-users', 'run-1', new Date());
    await expect(connections.getForExtraction('globex', 'incremental-users')).rejects.toMatchObject({ code: 'not_found' });

    const res = await post('/api/connections/incremental-users/preview', {});
    expect(res.statusCode, res.body).toBe(200);
    expect(api.requestsTo('/users')[0]!.query).toEqual({ updated_since: '2026-01-23T00:00:00.000Z', after: '2026-02-01' });
    expect((await t.app.inject({ url: '/api/connections/incremental-users', headers: bearer(acme.token) })).json()).toMatchObject({
      cursor: '2026-01-23T00:00:00.000Z',
      lastRunAt: '2026-02-01T10:00:00.000Z',
    });
  });

  it("shows what the next scheduled run will send before it runs: the fire time, last_run_at and the cursor rendered, secrets masked, nothing sent", async () => {
    const created = await post('/api/connections', {
      id: 'next-run',
      name: 'Next run',
      apiConfig: {
        baseUrl: `${api.url}/users`,
        auth: { type: 'bearer', token: 'next-run-token-1' },
        headers: { 'X-Api-Key': 'next-run-key-2', 'X-Day': "{{ now | date: '%Y-%m-%d' }}" },
        pagination: { type: 'page', pageParam: 'page', sizeParam: 'per_page', pageSize: 50 },
      },
      parameters: [
        { name: 'updated_since', in: 'query', value: '{{ cursor }}' },
        { name: 'after', in: 'query', value: "{{ last_run_at | date: '%Y-%m-%d' }}" },
      ],
      incremental: { cursorField: 'updated_at' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const connections = t.services.connections;
    await connections.saveCursorCandidate('acme', 'next-run', '2026-03-04T05:06:07.000Z', 'run-n');
    await connections.commitCursor('acme', 'next-run', 'run-n', new Date('2026-03-01T10:00:00Z'));
    const schedule = await t.app.inject({
      method: 'POST',
      url: '/api/scheduler',
      headers: bearer(acme.token),
      payload: { connectionId: 'next-run', scheduleType: 'custom', cronExpression: '30 6 * * *', timezone: 'UTC' },
    });
    expect(schedule.statusCode, schedule.body).toBeLessThan(300);
    const sent = api.requestsTo('/users').length;

    const res = await t.app.inject({ url: '/api/connections/next-run/next-run', headers: bearer(acme.token) });
    expect(res.statusCode, res.body).toBe(200);
    const next = res.json<{ scheduledAt: string; context: Record<string, unknown>; request: { method: string; url: string; headers: Record<string, string>; body: unknown } }>();
    expect(next.scheduledAt).toMatch(/T06:30:00\.000Z$/);
    expect(next.context).toEqual({ now: next.scheduledAt, lastRunAt: '2026-03-01T10:00:00.000Z', cursor: '2026-03-04T05:06:07.000Z' });
    const url = new URL(next.request.url);
    expect(Object.fromEntries(url.searchParams)).toEqual({ updated_since: '2026-03-04T05:06:07.000Z', after: '2026-03-01', page: '1', per_page: '50' });
    expect(next.request).toMatchObject({ method: 'GET', body: null, headers: { authorization: 'Bearer ********', 'x-api-key': '********', 'x-day': next.scheduledAt.slice(0, 10) } });
    expect(res.body).not.toMatch(/next-run-(token-1|key-2)/);
    expect(api.requestsTo('/users')).toHaveLength(sent);

    // Another organisation learns nothing of it.
    const theirs = await t.app.inject({ url: '/api/connections/next-run/next-run', headers: bearer(globex.token) });
    expect(theirs.statusCode).toBe(404);
  });

  it('does the next run without writing anything: reads and maps its records, and tells inserts from updates by the primary key', async () => {
    const created = await post('/api/connections', {
      id: 'dry-users',
      name: 'Dry users',
      apiConfig: { baseUrl: `${api.url}/users` },
      fieldMappings: [
        { source: '$.id', target: 'id', type: 'integer', required: true },
        { source: '$.email', target: 'email', type: 'string' },
      ],
      destination: { table: 'dry_users', writeMode: 'upsert', primaryKey: ['id'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const dryRun = () => post('/api/connections/dry-users/next-run/dry-run', {});

    // No table yet: every row is new.
    const first = await dryRun();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ read: 23, complete: true, rows: 23, wouldInsert: 23, wouldUpdate: 0, writeMode: 'upsert', rejected: { count: 0 } });

    // Ten of the 23 users already loaded: ten updates, thirteen inserts; the table and the connection stay as they were.
    const columns = [
      { name: 'id', type: 'integer' as const, nullable: false },
      { name: 'email', type: 'string' as const, nullable: true },
    ];
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, email: `old${i + 1}@example.com` }));
    await t.services.warehouse.load('acme', 'dry_users', (async function* () { yield { rows, rejected: [] }; })(), { writeMode: 'upsert', primaryKey: ['id'], columns, runId: 'seed', sourceId: 'seed' });
    const before = await t.services.connections.getForExtraction('acme', 'dry-users');
    const second = await dryRun();
    expect(second.statusCode, second.body).toBe(200);
    const answer = second.json<{ wouldInsert: number; wouldUpdate: number; sample: Record<string, unknown>[]; requests: unknown[] }>();
    expect(answer).toMatchObject({ wouldInsert: 13, wouldUpdate: 10 });
    expect(answer.sample[0]).toEqual({ id: 1, email: 'user1@example.com' });
    expect(answer.requests).toHaveLength(1);
    const table = await t.app.inject({ url: '/api/tables/dry_users/rows?limit=50', headers: bearer(acme.token) });
    expect(table.json<{ total: number; rows: { email: string }[] }>()).toMatchObject({ total: 10 });
    expect(table.json<{ rows: { email: string }[] }>().rows.every((r) => r.email.startsWith('old'))).toBe(true);
    expect((await t.services.connections.getForExtraction('acme', 'dry-users')).state).toEqual(before.state);

    // Another organisation learns nothing of it.
    expect((await post('/api/connections/dry-users/next-run/dry-run', {}, globex.token)).statusCode).toBe(404);
  });

  it('sends a templated JSON body for POST-style APIs', async () => {
    const { status, body } = await preview({ baseUrl: `${api.url}/search`, method: 'POST', body: { filter: { city: 'Oslo' } }, recordsPath: '$.hits' });
    expect(status).toBe(200);
    expect(body.raw.every((r) => (r.address as { city: string }).city === 'Oslo')).toBe(true);
    expect(api.requestsTo('/search')[0]!.headers['content-type']).toBe('application/json');
  });

  it('seals credential-looking values of a JSON body like headers: masked in answers and the audit trail, absent from the row, sent as stored', async () => {
    const apiConfig = {
      baseUrl: `${api.url}/search`,
      method: 'POST',
      body: { filter: { city: 'Oslo' }, credentials: { 'client.secret': 'body-secret-1' }, keys: [{ api_key: 'body-secret-2' }] },
      recordsPath: '$.hits',
    };
    const created = await post('/api/connections', { id: 'body-secrets', name: 'Body secrets', apiConfig, destination: { table: 'body_secrets' } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ apiConfig: { body: { filter: { city: 'Oslo' }, credentials: { 'client.secret': '********' }, keys: [{ api_key: '********' }] } } });
    const stored = await fx.db.query('SELECT config, secrets FROM connections WHERE id = $1', ['body-secrets']);
    expect(JSON.stringify(stored.rows)).not.toMatch(/body-secret-[12]/);

    // The mask sent back keeps the stored values, and the source receives them.
    const current = (await t.app.inject({ url: '/api/connections/body-secrets', headers: bearer(acme.token) })).json();
    const patched = await t.app.inject({ method: 'PATCH', url: '/api/connections/body-secrets', headers: bearer(acme.token), payload: { apiConfig: current.apiConfig } });
    expect(patched.statusCode, patched.body).toBe(200);
    const previewed = await post('/api/connections/body-secrets/preview', {});
    expect(previewed.statusCode, previewed.body).toBe(200);
    const sent = JSON.parse(api.requestsTo('/search').at(-1)!.body);
    expect(sent).toEqual({ filter: { city: 'Oslo' }, credentials: { 'client.secret': 'body-secret-1' }, keys: [{ api_key: 'body-secret-2' }] });

    await t.services.audit.flush();
    expect(JSON.stringify(await t.services.audit.list('acme', { action: 'connection.' }))).not.toMatch(/body-secret-[12]/);
  });

  it('retries 503s and honours Retry-After on 429', async () => {
    const flaky = await preview({ baseUrl: `${api.url}/flaky?key=a`, retry: { maxAttempts: 4, initialDelayMs: 10 } });
    expect(flaky.status).toBe(200);
    expect(flaky.body.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    const limited = await preview({ baseUrl: `${api.url}/rate-limited?key=b`, retry: { maxAttempts: 3, initialDelayMs: 10 } });
    expect(limited.status).toBe(200);
    expect(limited.body.requests.map((r) => r.status)).toEqual([429, 200]);
    const down = await preview({ baseUrl: `${api.url}/always-503`, retry: { maxAttempts: 2, initialDelayMs: 10 } });
    expect(down.status).toBe(422);
    expect(down.body.error.message).toContain('503');
  });

  it('answers hostile sources with a 4xx naming the URL and the cause, never a 500 or a hang', async () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['/html', {}, 'source_bad_response', /HTML/],
      ['/truncated', {}, 'source_bad_response', /cut short/],
      ['/not-found', {}, 'source_http_error', /404/],
      ['/slow', { timeoutMs: 300, retry: { maxAttempts: 1 } }, 'source_timeout', /300 ms/],
    ];
    for (const [path, extra, code, message] of cases) {
      const { status, body } = await preview({ baseUrl: `${api.url}${path}`, ...extra });
      expect(status, path).toBeGreaterThanOrEqual(400);
      expect(status, path).toBeLessThan(500);
      expect(body.error.code, path).toBe(code);
      expect(body.error.message, path).toMatch(message);
      expect(body.error.message, path).toContain(path);
    }
    const closed = await preview({ baseUrl: 'http://127.0.0.1:1/nothing', retry: { maxAttempts: 1 } });
    expect(closed.status).toBe(422);
    expect(closed.body.error.code).toBe('source_unreachable');
  });
});

describeEachDatabase('Connections API with the default private-address guard', (fx) => {
  let t: TestApp;
  let api: FakeApi;
  let token: string;
  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(fx, { SLUICE_HTTP_ALLOW_PRIVATE: 'false' });
    token = (await t.orgWithUser('acme', 'editor')).token;
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });

  it('refuses a source on a loopback address before sending anything', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/connections/preview', headers: bearer(token), payload: { name: 'x', apiConfig: { baseUrl: `${api.url}/users` } } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('source_blocked');
    expect(res.json().error.message).toContain('127.0.0.1');
    expect(api.requests).toHaveLength(0);
  });
});
