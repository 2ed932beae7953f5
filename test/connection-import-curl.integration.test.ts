import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from './helpers/databases.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';

describeEachDatabase('POST /api/connections/import/curl', (fx) => {
  let t: TestApp;
  let api: FakeApi;
  let editor: { token: string };
  let viewer: { token: string };

  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(fx);
    editor = await t.orgWithUser('acme', 'editor');
    viewer = await t.userIn('acme', 'viewer');
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });

  const post = (url: string, payload: unknown, token = editor.token) => t.app.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object });

  it('turns a documented curl command into a connection whose secrets are sealed when saved, and which reads the API', async () => {
    const command = `curl -sS --compressed -H 'Authorization: Bearer good-token' -H 'X-Trace: on' '${api.url}/bearer?limit=5'`;
    const res = await post('/api/connections/import/curl', { command });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const imported = res.json<{ proposal: Record<string, unknown>; secretFields: string[]; warnings: unknown[]; notes: string[] }>();
    expect(imported.proposal).toMatchObject({
      apiConfig: { baseUrl: `${api.url}/bearer`, method: 'GET', auth: { type: 'bearer', token: 'good-token' }, headers: { 'X-Trace': 'on' } },
      parameters: [{ name: 'limit', in: 'query', value: '5' }],
    });
    expect(imported.secretFields).toEqual(['apiConfig.auth.token']);
    expect(imported.notes.join(' ')).toContain('--compressed');

    // The command is not kept in the audit trail: it holds the token.
    await t.services.audit.flush();
    const events = await t.services.audit.list('acme', { action: 'connection.import' });
    expect(events[0]).toMatchObject({ outcome: 'success' });
    expect(JSON.stringify(events)).not.toContain('good-token');

    // Saved as it is, the token is sealed (masked in answers, absent from the stored config) and the connection reads the API.
    const saved = await post('/api/connections', { ...imported.proposal, id: 'from-curl' });
    expect(saved.statusCode, saved.body).toBe(201);
    expect(saved.body).not.toContain('good-token');
    const stored = await fx.db.query<{ config: unknown }>('SELECT config FROM connections WHERE id = $1', ['from-curl']);
    expect(JSON.stringify(stored.rows[0])).not.toContain('good-token');
    const preview = await post('/api/connections/from-curl/preview', {});
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().records.length).toBeGreaterThan(0);
  });

  it('lists a credential of the JSON body among the secret fields, as saving will seal it', async () => {
    const res = await post('/api/connections/import/curl', { command: `curl -X POST ${api.url}/users -H 'content-type: application/json' -d '{"auth":{"api_key":"body-key-1"},"q":1}'` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().secretFields).toEqual(['apiConfig.body.auth.api_key']);
  });

  it('names the options it leaves out', async () => {
    const res = await post('/api/connections/import/curl', { command: `curl -k --proxy http://proxy.example:3128 -F f=@x.csv ${api.url}/users` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().warnings.map((w: { option: string }) => w.option)).toEqual(expect.arrayContaining(['--insecure', '--proxy', '--form']));
  });

  it('answers 422 curl_invalid naming the command for what it cannot read, and 403 to a viewer', async () => {
    const bad = await post('/api/connections/import/curl', { command: `curl -H 'Authorization: Bearer leaked-1 '${api.url}/users` + "'" });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('curl_invalid');
    expect(bad.json().error.details.issues[0].field).toBe('command');
    const header = await post('/api/connections/import/curl', { command: `curl -H 'Bad Header: x' ${api.url}/users` });
    expect(header.statusCode).toBe(422);
    expect(header.json().error.code).toBe('curl_invalid');
    expect((await post('/api/connections/import/curl', { command: `curl ${api.url}/users` }, viewer.token)).statusCode).toBe(403);
    await t.services.audit.flush();
    expect(JSON.stringify(await t.services.audit.list('acme', { action: 'connection.import' }))).not.toContain('leaked-1');
  });
});
