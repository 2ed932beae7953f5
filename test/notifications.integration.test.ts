import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { NotificationsService, verifySignature, type RunNotification } from '../src/notifications/index.js';
import { SecretBox } from '../src/secrets/index.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.js';
import { closedPortUrl, startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const finished = (overrides: Partial<RunNotification> = {}): RunNotification => ({
  event: 'run.succeeded',
  orgId: 'acme',
  runId: 'run-1',
  dagId: 'etl_workflow_users',
  connectionId: 'users',
  state: 'success',
  trigger: 'schedule',
  startedAt: '2025-03-01T09:00:00.000Z',
  endedAt: '2025-03-01T09:00:42.000Z',
  tasks: [{ taskId: 'load', state: 'success', tryNumber: 1, rowsIn: 10, rowsOut: 10, rowsRejected: 0 }],
  ...overrides,
});

interface Created {
  id: string;
  secret?: string;
}

describeEachDatabase('Notifications', (fx) => {
  let t: TestApp;
  let hooks: WebhookReceiver;
  let smtp: SmtpReceiver;
  let acme: { token: string };
  let acmeViewer: { token: string };
  let globex: { token: string };
  /** The same database with waits between attempts cut to nothing, for failure paths. */
  let fast: NotificationsService;

  beforeAll(async () => {
    hooks = await startWebhookReceiver();
    smtp = await startSmtpReceiver();
    t = await createTestApp(fx, { SMTP_URL: smtp.url, SMTP_FROM: 'Sluice <sluice@example.com>' });
    acme = await t.orgWithUser('acme', 'editor');
    acmeViewer = await t.userIn('acme', 'viewer');
    globex = await t.orgWithUser('globex', 'admin');
    for (const [org, id] of [
      ['acme', 'users'],
      ['acme', 'orders'],
      ['globex', 'globex-users'],
    ] as const) {
      await t.services.connections.create(org, { id, name: id, apiConfig: { baseUrl: 'https://api.example.com/x' } }, { type: 'system', id: null });
    }
    fast = new NotificationsService({
      db: fx.db,
      box: new SecretBox('test secret key of at least thirty-two characters'),
      client: t.services.sources.client,
      policy: t.services.config.sources,
      logger: silentLogger(),
      smtp: { smtpUrl: smtp.url, smtpFrom: 'sluice@example.com' },
      sleep: async () => {},
    });
  });
  afterAll(async () => {
    await t?.close();
    await hooks?.close();
    await smtp?.close();
  });
  beforeEach(() => {
    hooks.reset();
    smtp.reset();
  });

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload && { payload }) });
  const create = async (payload: object, token = acme.token): Promise<Created> => {
    const res = await api('POST', '/api/notifications', token, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Created>();
  };
  const clear = () => fx.db.query("DELETE FROM notification_targets WHERE org_id IN ('acme', 'globex')");

  it('creates a webhook, shows its secret once, keeps it sealed at rest, and never shows it again', async () => {
    const res = await api('POST', '/api/notifications', acme.token, { kind: 'webhook', url: `${hooks.url}?token=abc123`, connectionId: 'users' });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<Created & Record<string, unknown>>();
    expect(created).toMatchObject({ kind: 'webhook', orgId: 'acme', connectionId: 'users', events: ['run.succeeded', 'run.failed'], enabled: true, address: null });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const stored = await fx.db.query<{ secret: string }>('SELECT secret FROM notification_targets WHERE id = $1', [created.id]);
    expect(stored.rows[0]!.secret).not.toContain(created.secret!);

    const listed = await api('GET', '/api/notifications', acmeViewer.token);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().targets.map((x: { id: string }) => x.id)).toEqual([created.id]);
    expect(listed.body).not.toContain(created.secret!);
    expect(listed.body).not.toContain('"secret"');
    const one = await api('GET', `/api/notifications/${created.id}`, acmeViewer.token);
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain(created.secret!);

    await t.services.audit.flush();
    const events = await t.services.audit.list('acme', { action: 'notification.create' });
    expect(events[0]).toMatchObject({ outcome: 'success', target: `notification:${created.id}` });
    const trail = JSON.stringify(events);
    expect(trail).not.toContain(created.secret!);
    expect(trail).not.toContain('abc123');
    await clear();
  });

  it('refuses bad input with 422 naming the field', async () => {
    const cases: [object, string][] = [
      [{ kind: 'webhook', url: 'ftp://example.com/hook' }, 'url'],
      [{ kind: 'webhook' }, 'url'],
      [{ kind: 'email', address: 'not-an-address' }, 'address'],
      [{ kind: 'email', address: 'ops@example.com', events: [] }, 'events'],
      [{ kind: 'email', address: 'ops@example.com', events: ['run.started'] }, 'events.0'],
      [{ kind: 'pigeon', address: 'x' }, 'kind'],
      [{ kind: 'email', address: 'ops@example.com', connectionId: 'globex-users' }, 'connectionId'],
    ];
    for (const [payload, field] of cases) {
      const res = await api('POST', '/api/notifications', acme.token, payload);
      expect(res.statusCode, `${JSON.stringify(payload)}: ${res.body}`).toBe(422);
      const body = res.json<{ error: { code: string; details: { issues: { field: string }[] } } }>();
      expect(body.error.code).toBe('invalid_config');
      expect(body.error.details.issues.map((i) => i.field)).toContain(field);
    }
  });

  it('refuses a webhook to a private IP literal when private addresses are not allowed', async () => {
    const strict = new NotificationsService({
      db: fx.db,
      box: new SecretBox('test secret key of at least thirty-two characters'),
      client: t.services.sources.client,
      policy: { allowPrivate: false, allowHosts: [] },
      logger: silentLogger(),
      smtp: { smtpUrl: undefined, smtpFrom: 'x@example.com' },
    });
    for (const url of ['http://10.0.0.1/hook', 'http://169.254.169.254/latest/meta-data']) {
      await expect(strict.createTarget('acme', { kind: 'webhook', url }, { type: 'system', id: null })).rejects.toMatchObject({
        code: 'invalid_config',
        details: { issues: [{ field: 'url' }] },
      });
    }
  });

  it('keeps organisations apart: another org cannot see, test or delete a target (404)', async () => {
    const target = await create({ kind: 'webhook', url: hooks.url });
    expect((await api('GET', '/api/notifications', globex.token)).json().targets).toEqual([]);
    expect((await api('GET', `/api/notifications/${target.id}`, globex.token)).statusCode).toBe(404);
    expect((await api('POST', `/api/notifications/${target.id}/test`, globex.token)).statusCode).toBe(404);
    expect((await api('DELETE', `/api/notifications/${target.id}`, globex.token)).statusCode).toBe(404);
    expect(hooks.received).toHaveLength(0);
    expect((await api('GET', `/api/notifications/${target.id}`, acme.token)).statusCode).toBe(200);

    const viewer = await api('POST', '/api/notifications', acmeViewer.token, { kind: 'email', address: 'ops@example.com' });
    expect(viewer.statusCode).toBe(403);
    // A webhook URL can carry its own secret (a path token): viewers see where it points, not the URL.
    const seen = (await api('GET', `/api/notifications/${target.id}`, acmeViewer.token)).json<{ url: string }>();
    expect(seen.url).toBe(`${new URL(hooks.url).origin}/…`);
    expect((await api('GET', '/api/notifications', acmeViewer.token)).body).not.toContain(new URL(hooks.url).pathname);
    expect((await api('GET', `/api/notifications/${target.id}`, acme.token)).json<{ url: string }>().url).toBe(hooks.url);
    expect((await api('DELETE', `/api/notifications/${target.id}`, acmeViewer.token)).statusCode).toBe(403);

    expect((await api('DELETE', `/api/notifications/${target.id}`, acme.token)).statusCode).toBe(204);
    expect((await api('DELETE', `/api/notifications/${target.id}`, acme.token)).statusCode).toBe(404);
  });

  it('sends a signed test notification to a webhook and an e-mail target, and lists the deliveries', async () => {
    const webhook = await create({ kind: 'webhook', url: hooks.url });
    const res = await api('POST', `/api/notifications/${webhook.id}/test`, acme.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ targetId: webhook.id, kind: 'webhook', status: 'sent', attempts: 1, responseStatus: 200, error: null });
    const [request] = hooks.received;
    const body = JSON.parse(request!.body);
    expect(body).toMatchObject({ event: 'run.failed', test: true, run: { orgId: 'acme', dagId: 'etl_workflow_example' } });
    const signed = { timestamp: request!.headers['x-sluice-timestamp'] as string, signature: request!.headers['x-sluice-signature'] as string };
    expect(verifySignature(webhook.secret!, signed, request!.body)).toBe(true);

    const email = await create({ kind: 'email', address: 'ops@example.com', events: ['run.succeeded'], connectionId: 'users' });
    const mailed = await api('POST', `/api/notifications/${email.id}/test`, acme.token);
    expect(mailed.json()).toMatchObject({ kind: 'email', status: 'sent' });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]).toMatchObject({ to: ['ops@example.com'], subject: '[Sluice test] etl_workflow_users succeeded' });

    const deliveries = await api('GET', `/api/notifications/deliveries?targetId=${webhook.id}`, acmeViewer.token);
    expect(deliveries.statusCode).toBe(200);
    expect(deliveries.json().deliveries).toEqual([
      expect.objectContaining({ targetId: webhook.id, kind: 'webhook', destination: hooks.url, status: 'sent', test: true, attempts: 1, responseStatus: 200 }),
    ]);
    expect((await api('GET', '/api/notifications/deliveries', acme.token)).json().deliveries).toHaveLength(2);
    expect((await api('GET', '/api/notifications/deliveries', globex.token)).json().deliveries).toEqual([]);
    expect((await api('GET', '/api/notifications/deliveries?limit=0', acme.token)).statusCode).toBe(400);

    await t.services.audit.flush();
    const trail = JSON.stringify(await t.services.audit.list('acme', { action: 'notification.' }));
    expect(trail).not.toContain(webhook.secret!);
    expect(trail).toContain('notification.test');
    await clear();
  });

  it('notifies the enabled targets that match the event and the connection, and records each delivery', async () => {
    const orgWide = await fast.createTarget('acme', { kind: 'webhook', url: `${hooks.url}?to=org` }, { type: 'system', id: null });
    await fast.createTarget('acme', { kind: 'webhook', url: `${hooks.url}?to=users`, connectionId: 'users', events: ['run.failed'] }, { type: 'system', id: null });
    await fast.createTarget('acme', { kind: 'webhook', url: `${hooks.url}?to=orders`, connectionId: 'orders' }, { type: 'system', id: null });
    await fast.createTarget('acme', { kind: 'webhook', url: `${hooks.url}?to=off`, enabled: false }, { type: 'system', id: null });
    await fast.createTarget('acme', { kind: 'email', address: 'ops@example.com', connectionId: 'users' }, { type: 'system', id: null });
    await fast.createTarget('globex', { kind: 'webhook', url: `${hooks.url}?to=globex` }, { type: 'system', id: null });

    const succeeded = await fast.notify(finished({ runId: 'run-ok' }));
    expect(succeeded.map((o) => o.status)).toEqual(['sent', 'sent']);
    expect(hooks.received.map((r) => r.path)).toEqual(['/hook?to=org']);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.subject).toBe('[Sluice] etl_workflow_users succeeded');
    expect(verifySignature(orgWide.secret!, { timestamp: hooks.received[0]!.headers['x-sluice-timestamp'] as string, signature: hooks.received[0]!.headers['x-sluice-signature'] as string }, hooks.received[0]!.body)).toBe(true);

    hooks.reset();
    const failed = await fast.notify(finished({ runId: 'run-bad', event: 'run.failed', state: 'failed' }));
    expect(failed).toHaveLength(3);
    expect(hooks.received.map((r) => r.path).sort()).toEqual(['/hook?to=org', '/hook?to=users']);

    hooks.reset();
    await fast.notify(finished({ runId: 'run-orders', connectionId: 'orders' }));
    expect(hooks.received.map((r) => r.path).sort()).toEqual(['/hook?to=orders', '/hook?to=org']);

    const recorded = await fast.listDeliveries('acme', { runId: 'run-bad' });
    expect(recorded).toHaveLength(3);
    expect(recorded.every((d) => d.status === 'sent' && d.event === 'run.failed' && !d.test)).toBe(true);
    expect(await fast.listDeliveries('globex')).toEqual([]);
    await clear();
  });

  it('records failed deliveries without throwing: a receiver down, a 400, no SMTP server configured', async () => {
    const down = await fast.createTarget('acme', { kind: 'webhook', url: await closedPortUrl() }, { type: 'system', id: null });
    const refusing = await fast.createTarget('acme', { kind: 'webhook', url: `${hooks.url}?refuse` }, { type: 'system', id: null });
    hooks.answer(400);
    const outcomes = await fast.notify(finished({ runId: 'run-down', event: 'run.failed' }));
    const byTarget = Object.fromEntries(outcomes.map((o) => [o.targetId, o]));
    expect(byTarget[down.id]).toMatchObject({ status: 'failed', attempts: 3, responseStatus: null });
    expect(byTarget[refusing.id]).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 400 });
    const recorded = await fast.listDeliveries('acme', { targetId: down.id });
    expect(recorded).toEqual([expect.objectContaining({ runId: 'run-down', status: 'failed', attempts: 3 })]);
    expect(recorded[0]!.error).toBeTruthy();
    await clear();

    const noSmtp = new NotificationsService({
      db: fx.db,
      box: new SecretBox('test secret key of at least thirty-two characters'),
      client: t.services.sources.client,
      policy: t.services.config.sources,
      logger: silentLogger(),
      smtp: { smtpUrl: undefined, smtpFrom: 'x@example.com' },
    });
    const email = await noSmtp.createTarget('acme', { kind: 'email', address: 'ops@example.com' }, { type: 'system', id: null });
    expect(await noSmtp.notify(finished({ runId: 'run-nosmtp' }))).toEqual([
      expect.objectContaining({ targetId: email.id, status: 'skipped', error: expect.stringContaining('SMTP_URL is not set') }),
    ]);
    expect(smtp.mails).toHaveLength(0);
    // Deliveries outlive their target.
    await noSmtp.deleteTarget('acme', email.id);
    expect(await noSmtp.listDeliveries('acme', { runId: 'run-nosmtp' })).toEqual([expect.objectContaining({ targetId: null, status: 'skipped', destination: 'ops@example.com' })]);
  });

  it('drops the targets of a deleted connection', async () => {
    await fast.createTarget('acme', { kind: 'email', address: 'ops@example.com', connectionId: 'orders' }, { type: 'system', id: null });
    await t.services.connections.delete('acme', 'orders');
    expect(await fast.listTargets('acme')).toEqual([]);
  });
});
