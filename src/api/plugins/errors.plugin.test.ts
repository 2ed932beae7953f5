import net, { type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { auditPlugin, type RequestAuditor } from './audit.plugin.js';
import { clientErrorHandler, errorsPlugin, frameworkErrorHandler } from './errors.plugin.js';
import { inputLimitsPlugin } from './input-limits.plugin.js';

/** Collects what would be audited: which requests, with which status and error code (each call, to see that there is one per request). */
const recorder = () => {
  const records: { url: string; status: number; errorCode: string | undefined }[] = [];
  const auditor: RequestAuditor = {
    async record(request, reply) {
      records.push({ url: request.url, status: reply.statusCode, errorCode: request.audit?.errorCode });
    },
  };
  return { records, auditor };
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The HTTP layer's own plugins around a few routes that fail as the outside world makes them fail. */
async function build(auditor: RequestAuditor, beforeParsing?: (request: FastifyRequest) => Promise<void>): Promise<FastifyInstance> {
  const server = Fastify({ frameworkErrors: frameworkErrorHandler(auditor), clientErrorHandler });
  await server.register(errorsPlugin);
  await server.register(auditPlugin, { auditor });
  await server.register(inputLimitsPlugin);
  if (beforeParsing) server.addHook('onRequest', async (request) => beforeParsing(request));
  server.post('/things/:id', async () => ({ ok: true }));
  server.get('/refused-value', async () => {
    throw Object.assign(new Error('invalid input syntax for type integer: "x"'), { code: '22P02' });
  });
  server.get('/bug', async () => {
    throw new TypeError('x is undefined');
  });
  await server.ready();
  return server;
}

/** Writes raw bytes, then waits for the answer (or hangs up at once), and resolves with what came back. */
const overSocket = (port: number, raw: string, hangUp = false): Promise<string> =>
  new Promise((resolve) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw, () => hangUp && socket.destroy()));
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
  });

describe('the error handler', () => {
  it('answers a value PostgreSQL refuses with 400, and a bug with a generic 500', async () => {
    app = await build(recorder().auditor);
    const refused = await app.inject({ url: '/refused-value' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: { code: 'bad_request', message: 'A value in the request cannot be used: invalid input syntax for type integer: "x"' } });
    const bug = await app.inject({ url: '/bug' });
    expect(bug.statusCode).toBe(500);
    expect(bug.json().error).toEqual({ code: 'internal', message: expect.stringMatching(/^Internal error \(request .+\); the details are in the server log$/) });
  });

  it('answers a path that is not UTF-8 in the error shape, and audits it once', async () => {
    const { records, auditor } = recorder();
    app = await build(auditor);
    const res = await app.inject({ method: 'POST', url: '/things/%ED%A0%80' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/^path: "\/things\/%ED%A0%80" is not a valid URL path/) } });
    expect(records).toEqual([{ url: '/things/%ED%A0%80', status: 400, errorCode: 'bad_request' }]);
  });

  it('answers a request Node cannot read as HTTP in the error shape', async () => {
    app = await build(recorder().auditor);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const answer = await overSocket((app.server.address() as AddressInfo).port, 'POST /things/1 HTTP/1.1\r\nHost: x\r\nContent-Length: twelve\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'bad_request', message: expect.stringContaining('could not be read as HTTP') } });
  });

  it('refuses JSON nested too deep as it streams in, before the rest of the body has come', async () => {
    const { records, auditor } = recorder();
    app = await build(auditor);
    const deep = await app.inject({ method: 'POST', url: '/things/1', headers: { 'content-type': 'application/json' }, payload: '['.repeat(100_000) + ']'.repeat(100_000) });
    expect(deep.statusCode).toBe(400);
    expect(deep.json().error).toMatchObject({ code: 'json_too_deep', message: 'body: the JSON is nested deeper than 64 levels (at byte 64)' });

    await app.listen({ port: 0, host: '127.0.0.1' });
    // A megabyte announced, 100 bytes sent, and the client waits: the answer comes all the same.
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const socket = net.connect((app!.server.address() as AddressInfo).port, '127.0.0.1', () =>
        socket.write(`POST /things/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n${'['.repeat(100)}`),
      );
      socket.on('data', (d) => {
        text += d.toString();
        if (text.includes('}}')) socket.destroy();
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"json_too_deep"');
    expect(records.map((r) => r.errorCode)).toEqual(['json_too_deep', 'json_too_deep']);
  });

  it('ends, and audits, a request whose client hung up before its body was read, instead of waiting for the body forever', async () => {
    const { records, auditor } = recorder();
    // Stands for authentication: a database round trip during which the client goes away.
    app = await build(auditor, (request) => new Promise((resolve) => (request.raw.socket.destroyed ? resolve() : request.raw.socket.once('close', () => resolve()))));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const body = '{"name":"x"}';
    await overSocket((app.server.address() as AddressInfo).port, `POST /things/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, true);
    for (let i = 0; i < 200 && records.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(records).toEqual([{ url: '/things/1', status: 400, errorCode: 'client_closed_request' }]);
  });
});
