import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedPortUrl, startWebhookReceiver, type WebhookReceiver } from '../../test/helpers/webhook-receiver.js';
import { createHttpClient, type AddressPolicy, type ResolvedAddress } from '../connectors/http/transport/index.js';
import { webhookPayload, type RunNotification } from './message.js';
import { generateSigningSecret, verifySignature } from './signature.js';
import { sendWebhook } from './webhook.js';

const run: RunNotification = {
  event: 'run.failed',
  orgId: 'acme',
  runId: 'run-1',
  dagId: 'etl_workflow_users',
  connectionId: 'users',
  state: 'failed',
  trigger: 'schedule',
  startedAt: '2025-03-01T09:00:00.000Z',
  endedAt: '2025-03-01T09:00:42.000Z',
  tasks: [{ taskId: 'extract', state: 'failed', tryNumber: 3, rowsIn: null, rowsOut: null, rowsRejected: null, error: 'HTTP 503' }],
  url: 'https://sluice.example.com/runs/run-1',
};

const open: AddressPolicy = { allowPrivate: true, allowHosts: [] };
const strict: AddressPolicy = { allowPrivate: false, allowHosts: [] };
const noWait = async (): Promise<void> => {};

describe('sendWebhook', () => {
  let receiver: WebhookReceiver;
  const client = createHttpClient({ policy: open });
  const secret = generateSigningSecret();
  const payload = webhookPayload(run, 'delivery-1', new Date('2025-03-01T09:00:43.000Z'), false);
  const send = (url: string, options: Partial<Parameters<typeof sendWebhook>[3]> = {}) =>
    sendWebhook(url, secret, payload, { client, sleep: noWait, ...options });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await client.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.reset());

  it('POSTs the run as JSON with a signature the receiver can verify', async () => {
    const outcome = await send(receiver.url);
    expect(outcome).toEqual({ status: 'sent', attempts: 1, responseStatus: 200, error: null });
    const [request] = receiver.received;
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-sluice-event': 'run.failed',
      'x-sluice-delivery': 'delivery-1',
    });
    expect(request!.headers['user-agent']).toMatch(/^Sluice\//);
    expect(request!.headers['x-sluice-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const timestamp = request!.headers['x-sluice-timestamp'] as string;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);

    expect(JSON.parse(request!.body)).toEqual({
      event: 'run.failed',
      sentAt: '2025-03-01T09:00:43.000Z',
      deliveryId: 'delivery-1',
      run: {
        orgId: 'acme',
        runId: 'run-1',
        dagId: 'etl_workflow_users',
        connectionId: 'users',
        state: 'failed',
        trigger: 'schedule',
        startedAt: '2025-03-01T09:00:00.000Z',
        endedAt: '2025-03-01T09:00:42.000Z',
        tasks: run.tasks,
        url: 'https://sluice.example.com/runs/run-1',
      },
    });
    const headers = { timestamp, signature: request!.headers['x-sluice-signature'] as string };
    expect(verifySignature(secret, headers, request!.body)).toBe(true);
    // Another secret, a changed body or a replayed old timestamp do not pass.
    expect(verifySignature(generateSigningSecret(), headers, request!.body)).toBe(false);
    expect(verifySignature(secret, headers, request!.body.replace('failed', 'success'))).toBe(false);
    expect(verifySignature(secret, headers, request!.body, { now: Date.now() + 3600_000 })).toBe(false);
  });

  it('retries a 500 and succeeds on the next attempt, signing each attempt afresh', async () => {
    receiver.answer(500);
    const waits: number[] = [];
    const outcome = await send(receiver.url, {
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(outcome).toEqual({ status: 'sent', attempts: 2, responseStatus: 200, error: null });
    expect(receiver.received).toHaveLength(2);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(800);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    for (const r of receiver.received) {
      expect(r.headers['x-sluice-delivery']).toBe('delivery-1');
      const ok = verifySignature(secret, { timestamp: r.headers['x-sluice-timestamp'] as string, signature: r.headers['x-sluice-signature'] as string }, r.body);
      expect(ok).toBe(true);
    }
  });

  it('gives up after three attempts of 503 and 429, reporting the last status', async () => {
    receiver.answer(503, 429, 502);
    const outcome = await send(receiver.url);
    expect(outcome).toMatchObject({ status: 'failed', attempts: 3, responseStatus: 502 });
    expect(outcome.error).toMatch(/answered HTTP 502 after 3 attempts: refused with 502/);
    expect(receiver.received).toHaveLength(3);
  });

  it('does not retry a 400', async () => {
    receiver.answer(400);
    const outcome = await send(receiver.url);
    expect(outcome).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 400 });
    expect(outcome.error).toContain('answered HTTP 400');
    expect(receiver.received).toHaveLength(1);
  });

  it('records a receiver that is down as failed, after retrying, without throwing', async () => {
    const outcome = await send(await closedPortUrl());
    expect(outcome).toMatchObject({ status: 'failed', attempts: 3, responseStatus: null });
    expect(outcome.error).toMatch(/could not be reached: the connection was refused/);
  });

  it('stops at the per-attempt timeout', async () => {
    // A receiver that never answers: it holds the request open.
    const hanging = http.createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as { port: number }).port;
    try {
      const outcome = await send(`http://127.0.0.1:${port}/hook`, { timeoutMs: 100, retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } });
      expect(outcome).toMatchObject({ status: 'failed', attempts: 2, responseStatus: null });
      expect(outcome.error).toMatch(/did not answer within 100 ms/);
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it('sends the credentials of a URL with user info as Basic auth, never in the error text', async () => {
    const url = receiver.url.replace('http://', 'http://hook-user:p%40ss@');
    expect((await send(url)).status).toBe('sent');
    expect(receiver.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('hook-user:p@ss').toString('base64')}`);
    receiver.answer(400);
    const failed = await send(url);
    expect(failed.error).not.toContain('p%40ss');
  });
});

describe('sendWebhook through the private-network guard', () => {
  // Nothing is connected to here: the guard refuses before any socket opens.
  const lookups: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    lookups.push(hostname);
    return hostname === 'metadata.example.test' ? [{ address: '169.254.169.254', family: 4 }] : [{ address: '10.0.0.1', family: 4 }];
  };
  const client = createHttpClient({ policy: strict, resolve });
  const payload = webhookPayload(run, 'delivery-2', new Date(), false);
  afterAll(() => client.close());

  it('refuses a private IP literal at once, without retrying', async () => {
    const outcome = await sendWebhook('http://10.0.0.1/hook', generateSigningSecret(), payload, { client, sleep: noWait });
    expect(outcome).toMatchObject({ status: 'failed', attempts: 1, responseStatus: null });
    expect(outcome.error).toMatch(/private network addresses are blocked/);
  });

  it('refuses a name that resolves to the cloud metadata address', async () => {
    const outcome = await sendWebhook('http://metadata.example.test/latest', generateSigningSecret(), payload, { client, sleep: noWait });
    expect(outcome).toMatchObject({ status: 'failed', attempts: 1 });
    expect(outcome.error).toMatch(/cloud metadata/);
    expect(lookups).toEqual(['metadata.example.test']);
  });
});
