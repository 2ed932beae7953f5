import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clearOAuthTokenCache } from '../src/connectors/http/auth/index.js';
import type { RunView } from '../src/engine/index.js';
import { createLogger } from '../src/logger.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { dumpTables, ECHO_PATHS, findLeaks, startEchoSource, type EchoSource } from './helpers/echo-source.js';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

/** A secret that starts with random characters, so that even its first 12 characters found anywhere mean a leak. */
const secret = (tail: string) => `${randomBytes(8).toString('hex')}${tail}`;

/**
 * Issue 13, item 3: a source that echoes the credentials it was sent
 * (bearer token, Basic password and header, API keys in a header and the
 * query, an OAuth client secret and the access tokens it issued,
 * credential headers and parameters) in every kind of answer. After
 * previews, runs through the builtin engine, notifications by webhook and
 * e-mail, and every read a viewer can make, no answer, webhook, e-mail,
 * server log line or database row holds any of them in any form.
 */
describeEachDatabase('no secret leaks after a source echoes it', (fx) => {
  const SECRETS = {
    bearer: secret('/Bearer+Tok=en'),
    password: secret('p@ss:w/rd+&x'),
    apiKeyHeader: secret('+akh/='),
    apiKeyQuery: secret('+akq/&='),
    clientSecret: secret('/cs+'),
    freeHeader: secret('-fh'),
    secretParam: secret('+sp/'),
    legacyPassword: secret('-legacy'),
    urlPassword: secret('-url'),
  };
  const basicHeader = (user: string, pw: string) => Buffer.from(`${user}:${pw}`).toString('base64');
  /** What the hunt looks for: the secrets, the Basic headers sent, and (once issued) the OAuth access tokens. */
  const hunted = (): Record<string, string> => ({
    ...SECRETS,
    basicHeader: basicHeader('svc-user', SECRETS.password),
    oauthBasicHeader: basicHeader('sluice-client', encodeURIComponent(SECRETS.clientSecret)),
    legacyBasicHeader: basicHeader('legacy-user', SECRETS.legacyPassword),
    ...Object.fromEntries(source.accessTokens.map((token, i) => [`accessToken${i}`, token])),
  });

  let t: TestApp;
  let source: EchoSource;
  let hooks: WebhookReceiver;
  let smtp: SmtpReceiver;
  let viewer: { token: string };
  const logLines: string[] = [];
  /** Every answer, webhook and e-mail Sluice gave during the suite. */
  const seen: { where: string; text: string }[] = [];
  const admin = () => bearer(t.adminToken);

  const inject = async (where: string, options: InjectOptions) => {
    const res = await t.app.inject(options);
    seen.push({ where, text: `${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}` });
    return res;
  };

  /** The connections: one per way of sending credentials. */
  const connections = (): Record<string, Record<string, unknown>> => ({
    bearer: { apiConfig: { auth: { type: 'bearer', token: SECRETS.bearer } } },
    basic: { apiConfig: { auth: { type: 'basic', username: 'svc-user', password: SECRETS.password } } },
    'key-header': { apiConfig: { auth: { type: 'apiKey', in: 'header', name: 'X-API-Key', value: SECRETS.apiKeyHeader } } },
    'key-query': { apiConfig: { auth: { type: 'apiKey', in: 'query', name: 'api_key', value: SECRETS.apiKeyQuery } } },
    oauth: {
      apiConfig: { auth: { type: 'oauth2ClientCredentials', tokenUrl: `${source.url}/oauth/token`, clientId: 'sluice-client', clientSecret: SECRETS.clientSecret, clientAuth: 'basic' } },
    },
    'oauth-refused': {
      apiConfig: { auth: { type: 'oauth2ClientCredentials', tokenUrl: `${source.url}/oauth/token-echo`, clientId: 'sluice-client', clientSecret: SECRETS.clientSecret } },
    },
    'free-credentials': {
      apiConfig: { headers: { 'X-Custom-Token': `Token ${SECRETS.freeHeader}` } },
      parameters: [{ name: 'access_key', in: 'query', value: SECRETS.secretParam }],
    },
  });

  const body = (id: string, path: string, config: Record<string, unknown>) => {
    const api = (config.apiConfig ?? {}) as Record<string, unknown>;
    return {
      id,
      name: id,
      ...config,
      apiConfig: {
        baseUrl: `${source.url}${path}`,
        retry: { maxAttempts: 1 },
        ...(path === '/next' ? { pagination: { type: 'nextUrl', nextUrlPath: '$.next' } } : {}),
        ...api,
      },
    };
  };

  const waitFor = async (runId: string): Promise<RunView> => {
    for (let i = 0; i < 600; i++) {
      const run = (await t.app.inject({ url: `/api/runs/${runId}`, headers: admin() })).json<RunView>();
      if (['success', 'failed', 'cancelled'].includes(run.state)) return run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${runId} did not end`);
  };

  beforeAll(async () => {
    clearOAuthTokenCache();
    source = await startEchoSource({ clientSecret: SECRETS.clientSecret });
    hooks = await startWebhookReceiver();
    smtp = await startSmtpReceiver();
    const logger = createLogger({ level: 'debug', stream: { write: (line: string) => void logLines.push(line) } });
    t = await createTestApp(fx, { SMTP_URL: smtp.url }, { logger });
    t.services.engine.start();
    viewer = await t.userIn('default', 'viewer');
    expect((await inject('webhook target', { method: 'POST', url: '/api/notifications', headers: admin(), payload: { kind: 'webhook', url: hooks.url } })).statusCode).toBe(201);
    expect((await inject('mail target', { method: 'POST', url: '/api/notifications', headers: admin(), payload: { kind: 'email', address: 'ops@example.com' } })).statusCode).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
    await source?.close();
    await hooks?.close();
    await smtp?.close();
  });

  it('refuses credentials in a URL with a 422 naming the field and saying where they go, and audits none of them', async () => {
    const withPassword = `http://svc:${SECRETS.urlPassword}@127.0.0.1:9/items`;
    const create = await inject('create with a password in the URL', {
      method: 'POST',
      url: '/api/connections',
      headers: admin(),
      payload: { name: 'url-creds', apiConfig: { baseUrl: withPassword } },
    });
    expect(create.statusCode).toBe(422);
    expect(create.json().error).toMatchObject({ code: 'invalid_config', details: { issues: [{ field: 'apiConfig.baseUrl' }] } });
    expect(create.json().error.message).toMatch(/apiConfig\.baseUrl: must not contain a user name or password.*"type": "basic"/);

    const query = await inject('create with a key in the URL', {
      method: 'POST',
      url: '/api/connections/preview',
      headers: admin(),
      payload: { name: 'url-key', apiConfig: { baseUrl: `${source.url}/401?api_key=${SECRETS.urlPassword}` } },
    });
    expect(query.statusCode).toBe(422);
    expect(query.json().error.message).toMatch(/query parameter "api_key" looks like a credential.*"in": "query"/);

    const run = await inject('execute-run with a password in the URL', {
      method: 'POST',
      url: '/api/execute-run',
      headers: admin(),
      payload: { workflowConfig: { connectionId: 'url-creds-run', apiConfig: { baseUrl: withPassword } } },
    });
    expect(run.statusCode).toBe(422);
    expect(run.json().error.details.issues[0].field).toBe('workflowConfig.apiConfig.baseUrl');

    const tokenUrl = await inject('create with a password in the token URL', {
      method: 'POST',
      url: '/api/connections',
      headers: admin(),
      payload: { name: 'token-url', apiConfig: { baseUrl: `${source.url}/401`, auth: { type: 'oauth2ClientCredentials', tokenUrl: withPassword, clientId: 'c', clientSecret: SECRETS.clientSecret } } },
    });
    expect(tokenUrl.statusCode).toBe(422);
    expect(tokenUrl.json().error.details.issues[0].field).toBe('apiConfig.auth.tokenUrl');
  });

  it('masks every echo in preview errors, of saved and unsaved connections', async () => {
    for (const path of ECHO_PATHS) {
      for (const [name, config] of Object.entries(connections())) {
        const id = `${name}${path.replaceAll('/', '-')}`;
        const saved = await inject(`create ${id}`, { method: 'POST', url: '/api/connections', headers: admin(), payload: body(id, path, config) });
        expect(saved.statusCode, saved.body).toBe(201);
        const preview = await inject(`preview ${id}`, { method: 'POST', url: `/api/connections/${id}/preview`, headers: admin() });
        expect(preview.statusCode, `${id}: ${preview.body}`).toBeGreaterThanOrEqual(400);
        expect(preview.statusCode, `${id}: ${preview.body}`).toBeLessThan(600);
        const unsaved = await inject(`preview unsaved ${id}`, { method: 'POST', url: '/api/connections/preview', headers: admin(), payload: body(id, path, config) });
        expect(unsaved.statusCode, `${id}: ${unsaved.body}`).toBe(preview.statusCode);
        await inject(`read ${id}`, { url: `/api/connections/${id}`, headers: bearer(viewer.token) });
      }
    }
    // The source did echo: the hunt below is not vacuous.
    expect(seen.some((s) => s.text.includes('refused the credentials (401)'))).toBe(true);
    expect(source.accessTokens.length).toBeGreaterThan(0);
  }, 120_000);

  it('masks every echo in runs: their errors, tasks, logs, status endpoints, webhooks and e-mails', async () => {
    const plan: [string, string][] = [
      ['bearer', '/401'],
      ['basic', '/403-text'],
      ['key-header', '/html'],
      ['key-query', '/redirect'],
      ['oauth', '/next'],
      ['oauth-refused', '/401'],
      ['free-credentials', '/401-long'],
      ['basic', '/notjson'],
    ];
    const runs = await Promise.all(
      plan.map(async ([name, path]) => {
        const id = `${name}${path.replaceAll('/', '-')}`;
        const res = await inject(`execute ${id}`, { method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: id } });
        expect([200, 202], res.body).toContain(res.statusCode);
        return waitFor(res.json<{ runId: string }>().runId);
      }),
    );
    // The first seed's way: a run and a schedule whose workflowConfig creates the connection, secrets included.
    const viaConfig = await inject('execute a workflowConfig', {
      method: 'POST',
      url: '/api/execute-run?wait=true',
      headers: admin(),
      payload: { workflowConfig: { connectionId: 'wf-bearer', ...body('wf-bearer', '/401', connections().bearer!) } },
    });
    expect([200, 202], viaConfig.body).toContain(viaConfig.statusCode);
    runs.push(await waitFor(viaConfig.json<{ runId: string }>().runId));
    const scheduled = await inject('schedule a workflowConfig', {
      method: 'POST',
      url: '/api/scheduler',
      headers: admin(),
      payload: { connectionId: 'wf-basic', scheduleType: 'daily', workflowConfig: { connectionId: 'wf-basic', ...body('wf-basic', '/401', connections().basic!) } },
    });
    expect(scheduled.statusCode, scheduled.body).toBe(201);
    for (const run of runs) {
      expect(run.state, JSON.stringify(run)).toBe('failed');
      await inject(`run ${run.runId}`, { url: `/api/runs/${run.runId}`, headers: bearer(viewer.token) });
      await inject(`logs ${run.runId}`, { url: `/api/runs/${run.runId}/logs?limit=1000`, headers: bearer(viewer.token) });
      await inject(`dag status ${run.dagId}`, { url: `/api/airflow/status/${run.dagId}/`, headers: bearer(viewer.token) });
      await inject(`run status ${run.runId}`, { url: `/api/airflow/status/${run.dagId}/${run.runId}/`, headers: bearer(viewer.token) });
    }
    expect(runs.map((r) => r.tasks.find((task) => task.taskId === 'extract')?.error ?? '').join('\n')).toMatch(/refused the credentials \(401\)/);

    // A 500 is retried later; its first failed try is stored and logged: look at it, then cancel the run.
    const res = await inject('execute 500', { method: 'POST', url: '/api/execute-run', headers: admin(), payload: { connectionId: 'free-credentials-500' } });
    const runId = res.json<{ runId: string }>().runId;
    for (let i = 0; i < 600; i++) {
      const run = (await t.app.inject({ url: `/api/runs/${runId}`, headers: admin() })).json<RunView>();
      if (run.tasks.find((task) => task.taskId === 'extract')?.state === 'up_for_retry') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await inject('run 500', { url: `/api/runs/${runId}`, headers: bearer(viewer.token) });
    await inject('logs 500', { url: `/api/runs/${runId}/logs`, headers: bearer(viewer.token) });
    expect((await inject('cancel 500', { method: 'POST', url: `/api/runs/${runId}/cancel`, headers: admin() })).statusCode).toBe(200);

    await inject('runs', { url: '/api/runs?limit=200', headers: bearer(viewer.token) });
    await inject('deliveries', { url: '/api/notifications/deliveries?limit=500', headers: bearer(viewer.token) });
    for (let i = 0; i < 100 && (hooks.received.length <= plan.length || smtp.mails.length <= plan.length); i++) await new Promise((r) => setTimeout(r, 100));
    expect(hooks.received.length).toBeGreaterThanOrEqual(plan.length + 1);
    expect(smtp.mails.length).toBeGreaterThanOrEqual(plan.length + 1);
  }, 120_000);

  it('seals a URL password saved before it was refused, keeps it out of answers and runs, and still sends it', async () => {
    // As an older version saved it: the password in the stored config.
    const clean = t.services.connections.parse({ id: 'legacy', name: 'legacy', apiConfig: { baseUrl: `${source.url}/401`, retry: { maxAttempts: 1 } } });
    const host = source.url.slice('http://'.length);
    const config = { ...clean, destination: { table: 'legacy', writeMode: 'append' }, apiConfig: { ...clean.apiConfig, baseUrl: `http://legacy-user:${SECRETS.legacyPassword}@${host}/401` } };
    await t.services.db.query(`INSERT INTO connections (id, org_id, name, config) VALUES ('legacy', 'default', 'legacy', $1::jsonb)`, [JSON.stringify(config)]);
    // Shown masked even before a start seals it (an older process may still be writing during an upgrade).
    const before = await inject('read legacy', { url: '/api/connections/legacy', headers: bearer(viewer.token) });
    expect(before.json().apiConfig.baseUrl).toBe(`http://legacy-user:********@${host}/401`);
    // What every start does.
    expect(await t.services.connections.sealUrlCredentials()).toBe(1);
    expect(await t.services.connections.sealUrlCredentials()).toBe(0);
    const stored = await t.services.db.query<{ config: { apiConfig: { baseUrl: string } }; secrets: string }>("SELECT config, secrets FROM connections WHERE id = 'legacy'");
    expect(stored.rows[0]!.config.apiConfig.baseUrl).toBe(`http://legacy-user:********@${host}/401`);
    expect(stored.rows[0]!.secrets).toMatch(/^v1\./);
    const read = await inject('read legacy', { url: '/api/connections/legacy', headers: bearer(viewer.token) });
    expect(read.json().apiConfig.baseUrl).toBe(`http://legacy-user:********@${host}/401`);
    const res = await inject('execute legacy', { method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'legacy' } });
    const run = await waitFor(res.json<{ runId: string }>().runId);
    // The source got the password (and echoed it back, masked here).
    expect(run.tasks.find((task) => task.taskId === 'extract')?.error).toMatch(/refused the credentials \(401\).*\*{8}/);
    await inject('legacy logs', { url: `/api/runs/${run.runId}/logs`, headers: bearer(viewer.token) });
    // Saving it again asks for the password in auth.
    const patch = await inject('patch legacy', { method: 'PATCH', url: '/api/connections/legacy', headers: admin(), payload: { name: 'legacy 2' } });
    expect(patch.statusCode).toBe(422);
    expect(patch.json().error.details.issues[0].field).toBe('apiConfig.baseUrl');
  });

  it('leaves no secret in any answer, webhook, e-mail, server log line or database row', async () => {
    await t.services.audit.flush();
    await inject('audit', { url: '/api/audit?limit=1000', headers: admin() });
    const texts = [
      ...seen,
      ...hooks.received.map((h) => ({ where: `webhook ${h.path}`, text: `${JSON.stringify(h.headers)} ${h.body}` })),
      ...smtp.mails.map((m) => ({ where: `mail ${m.subject ?? ''}`, text: m.raw })),
      { where: 'server log', text: logLines.join('') },
      ...(await dumpTables(t.services.db)),
    ];
    // The hunt would see them: the log and the tables hold the runs' errors.
    expect(logLines.join('')).toMatch(/refused the credentials/);
    expect(texts.find((x) => x.where === 'table sluice.task_logs')?.text).toMatch(/refused the credentials/);
    expect(findLeaks(texts, hunted())).toEqual([]);
  });
});
