/**
 * Against real HTTP servers on 127.0.0.1. Nothing here may reach another
 * address: the guard's refusals of private ranges are exercised with IP
 * literals and an injected resolver, and a safety net around net.connect
 * fails the test (instead of connecting) should any socket head elsewhere.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError, TransientError, UserError } from '../../../errors/index.js';
import { CancelledError } from './abort.js';
import type { AddressPolicy, LookupFunction, ResolvedAddress, Resolver } from './address-guard.js';
import { createHttpClient, type HttpClient, type HttpClientOptions, type HttpRequest } from './http-client.js';

const isLoopback = (ip: string): boolean => ip === '::1' || ip.startsWith('127.');
const safetyTrips: string[] = [];

/** Wraps a socket lookup so that a non-loopback answer fails the socket instead of connecting. */
function loopbackOnly(lookup: LookupFunction): LookupFunction {
  return (hostname, options, callback) =>
    lookup(hostname, options, (error, address, family) => {
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const stray = error ? undefined : addresses.find((a) => !isLoopback(a));
      if (stray !== undefined) {
        safetyTrips.push(stray);
        callback(new Error(`test safety net: refused to connect to ${stray}`), '');
        return;
      }
      callback(error, address, family);
    });
}

function guardConnect(module: { connect: (...args: never[]) => unknown }): void {
  const real = module.connect.bind(module) as (options: net.TcpNetConnectOpts) => net.Socket;
  vi.spyOn(module as { connect: (options: net.TcpNetConnectOpts) => net.Socket }, 'connect').mockImplementation((options) => {
    const host = options.host ?? 'localhost';
    if (net.isIP(host) !== 0 && !isLoopback(host)) {
      safetyTrips.push(host);
      throw new Error(`test safety net: refused to connect to ${host}`);
    }
    return real({ ...options, lookup: loopbackOnly((options.lookup ?? dns.lookup) as LookupFunction) });
  });
}

beforeAll(() => {
  guardConnect(net as never);
  guardConnect(tls as never);
});

afterAll(() => {
  vi.restoreAllMocks();
});

afterEach(() => {
  expect(safetyTrips).toEqual([]);
});

interface TestServer {
  port: number;
  origin: string;
  connections: number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function startServer(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  const state = { connections: 0 };
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const test: TestServer = {
    port,
    origin: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(test);
  return test;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const open: AddressPolicy = { allowPrivate: true, allowHosts: [] };

function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  const c = createHttpClient({ policy: open, ...options });
  clients.push(c);
  return c;
}

/** Maps test host names to loopback (or, for refusals, to addresses never connected to). */
function resolver(map: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const addresses = map[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: net.isIP(address) }));
  };
  return Object.assign(resolve, { calls });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the request to fail');
}

const get = (url: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({ method: 'GET', url, timeoutMs: 5000, ...extra });

/** Echoes what arrived, as JSON. */
const echo: http.RequestListener = (req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
  });
};

let main: TestServer;
let other: TestServer;
const hung: http.ServerResponse[] = [];
let requestArrived: () => void = () => undefined;

beforeAll(async () => {
  other = await startServer(echo);
  main = await startServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const param = (name: string): string => url.searchParams.get(name) ?? '';
    switch (url.pathname) {
      case '/json':
        res.setHeader('content-type', 'application/json');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('X-Custom', 'Yes');
        res.end('{"ok":true}');
        return;
      case '/status':
        res.statusCode = Number(param('code'));
        res.end(`status ${param('code')}`);
        return;
      case '/bom':
        res.end('\ufeff{"a":1}');
        return;
      case '/encoded': {
        const payload = Buffer.from(JSON.stringify({ encoded: param('as'), items: Array.from({ length: 50 }, (_, i) => i) }));
        const encoders: Record<string, (b: Buffer) => Buffer> = {
          gzip: zlib.gzipSync,
          br: zlib.brotliCompressSync,
          deflate: zlib.deflateSync,
          'deflate-raw': zlib.deflateRawSync,
        };
        res.setHeader('content-encoding', param('as') === 'deflate-raw' ? 'deflate' : param('as'));
        res.end(req.method === 'HEAD' ? undefined : encoders[param('as')]!(payload));
        return;
      }
      case '/redirect':
        res.statusCode = Number(param('status') || '302');
        res.setHeader('location', param('to'));
        res.end('moved');
        return;
      case '/loop':
        res.statusCode = 302;
        res.setHeader('location', '/loop');
        res.end();
        return;
      case '/chain': {
        const left = Number(param('n'));
        if (left === 0) return echo(req, res);
        res.statusCode = 301;
        res.setHeader('location', `/chain?n=${left - 1}`);
        res.end();
        return;
      }
      case '/echo':
        return echo(req, res);
      case '/big':
        if (param('chunked') !== 'yes') res.setHeader('content-length', param('bytes'));
        res.end(Buffer.alloc(Number(param('bytes')), 'x'));
        return;
      case '/bomb':
        res.setHeader('content-encoding', 'gzip');
        res.end(zlib.gzipSync(Buffer.alloc(1024 * 1024)));
        return;
      case '/truncated-gzip':
        res.setHeader('content-encoding', 'gzip');
        res.end(zlib.gzipSync(Buffer.alloc(10_000, 'a')).subarray(0, 20));
        return;
      case '/zstd':
        res.setHeader('content-encoding', 'zstd');
        res.end('xx');
        return;
      case '/hang':
        requestArrived();
        hung.push(res);
        return;
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"partial":');
        hung.push(res);
        return;
      default:
        res.statusCode = 404;
        res.end('not found');
    }
  });
});

describe('createHttpClient: responses', () => {
  it('answers status, lower-case headers with repeats joined, the body as text and timings', async () => {
    const response = await client().send(get(`${main.origin}/json`));
    expect(response.status).toBe(200);
    expect(response.body).toBe('{"ok":true}');
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['x-custom']).toBe('Yes');
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
    expect(response.url).toBe(`${main.origin}/json`);
    expect(response.redirects).toEqual([]);
    expect(response.ms).toBeGreaterThanOrEqual(0);
  });

  it('returns 4xx and 5xx answers rather than throwing', async () => {
    const c = client();
    for (const code of [404, 429, 500, 503]) {
      const response = await c.send(get(`${main.origin}/status?code=${code}`));
      expect(response.status).toBe(code);
      expect(response.body).toBe(`status ${code}`);
    }
  });

  it('sends its user agent and the encodings it can decode, keeping the caller headers', async () => {
    const response = await client({ userAgent: 'SluiceTest/1' }).send(
      get(`${main.origin}/echo`, { headers: { Accept: 'application/json', 'Accept-Encoding': 'identity' } }),
    );
    const { headers } = JSON.parse(response.body) as { headers: Record<string, string> };
    expect(headers['user-agent']).toBe('SluiceTest/1');
    expect(headers['accept-encoding']).toBe('gzip, deflate, br');
    expect(headers.accept).toBe('application/json');
  });

  it('sends a body with its method', async () => {
    const response = await client().send({
      method: 'POST',
      url: `${main.origin}/echo`,
      headers: { 'content-type': 'application/json' },
      body: '{"q":1}',
      timeoutMs: 5000,
    });
    expect(JSON.parse(response.body)).toMatchObject({ method: 'POST', body: '{"q":1}' });
  });

  it.each(['gzip', 'br', 'deflate', 'deflate-raw'])('decodes %s bodies', async (as) => {
    const response = await client().send(get(`${main.origin}/encoded?as=${as}`));
    expect(JSON.parse(response.body)).toMatchObject({ encoded: as, items: expect.any(Array) });
  });

  it('does not try to decode the empty body of a HEAD', async () => {
    const response = await client().send({ method: 'HEAD', url: `${main.origin}/encoded?as=gzip`, timeoutMs: 5000 });
    expect(response.status).toBe(200);
    expect(response.body).toBe('');
  });

  it('refuses bodies it cannot decode', async () => {
    const truncated = await failure(client().send(get(`${main.origin}/truncated-gzip`)));
    expect(truncated).toMatchObject({ code: 'source_bad_response' });
    expect(truncated.message).toContain('gzip body that could not be decoded');
    const zstd = await failure(client().send(get(`${main.origin}/zstd`)));
    expect(zstd).toMatchObject({ code: 'source_bad_response' });
    expect(zstd.message).toContain('Content-Encoding zstd');
  });

  it('drops a UTF-8 byte order mark', async () => {
    expect((await client().send(get(`${main.origin}/bom`))).body).toBe('{"a":1}');
  });

  it('sends userinfo in the URL as Basic credentials', async () => {
    const response = await client().send(get(`http://ann:p%40ss@127.0.0.1:${main.port}/echo`));
    const { headers } = JSON.parse(response.body) as { headers: Record<string, string> };
    expect(headers.authorization).toBe(`Basic ${Buffer.from('ann:p@ss').toString('base64')}`);
  });

  it('reuses kept-alive connections across requests', async () => {
    const server = await startServer(echo);
    const c = client();
    // undici may open a second socket while the first is being released; it must not open one per request.
    for (let i = 0; i < 6; i++) await c.send(get(`${server.origin}/echo`));
    expect(server.connections).toBeLessThanOrEqual(2);
  });
});

describe('createHttpClient: redirects', () => {
  const redirect = (to: string, status = 302): string =>
    `${main.origin}/redirect?status=${status}&to=${encodeURIComponent(to)}`;

  it('follows redirects, relative ones included, and lists the hops', async () => {
    const first = redirect('/chain?n=2');
    const response = await client().send(get(first));
    expect(response.status).toBe(200);
    expect(response.url).toBe(`${main.origin}/chain?n=0`);
    expect(response.redirects).toEqual([first, `${main.origin}/chain?n=2`, `${main.origin}/chain?n=1`]);
  });

  it('follows at most 5 redirects', async () => {
    expect((await client().send(get(`${main.origin}/chain?n=5`))).status).toBe(200);
    const error = await failure(client().send(get(`${main.origin}/loop`)));
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'source_bad_response' });
    expect(error.message).toBe(`GET ${main.origin}/loop redirected more than 5 times`);
  });

  it('turns a POST into a GET without body on 303, and keeps method and body on 307 and 308', async () => {
    const post = (url: string): HttpRequest => ({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      body: '{"x":1}',
      timeoutMs: 5000,
    });
    const seeOther = JSON.parse((await client().send(post(redirect('/echo', 303)))).body) as {
      method: string;
      body: string;
      headers: Record<string, string>;
    };
    expect(seeOther).toMatchObject({ method: 'GET', body: '' });
    expect(seeOther.headers['content-type']).toBeUndefined();
    for (const status of [301, 302, 307, 308]) {
      expect(JSON.parse((await client().send(post(redirect('/echo', status)))).body)).toMatchObject({
        method: 'POST',
        body: '{"x":1}',
      });
    }
  });

  it('drops credentials when a redirect leaves the origin, and keeps them within it', async () => {
    const headers = { Authorization: 'Bearer t0k3n', Cookie: 'sid=1', 'X-Api-Key': 'k3y', 'X-Other': 'kept' };
    const c = client();
    const across = await c.send(get(redirect(`${other.origin}/echo`), { headers, secretHeaders: ['X-Api-Key'] }));
    const seen = (JSON.parse(across.body) as { headers: Record<string, string> }).headers;
    expect(seen.authorization).toBeUndefined();
    expect(seen.cookie).toBeUndefined();
    expect(seen['x-api-key']).toBeUndefined();
    expect(seen['x-other']).toBe('kept');

    const within = await c.send(get(redirect('/echo'), { headers }));
    expect((JSON.parse(within.body) as { headers: Record<string, string> }).headers).toMatchObject({
      authorization: 'Bearer t0k3n',
      'x-api-key': 'k3y',
    });
  });

  it('treats another host name on the same port as another origin', async () => {
    const c = client({ resolve: resolver({ 'alias.test': ['127.0.0.1'] }) });
    const response = await c.send(
      get(redirect(`http://alias.test:${main.port}/echo`), { headers: { authorization: 'Bearer t0k3n' } }),
    );
    expect((JSON.parse(response.body) as { headers: Record<string, string> }).headers.authorization).toBeUndefined();
  });

  it('refuses a redirect to a blocked IP literal before connecting to it', async () => {
    const c = client({ policy: { allowPrivate: false, allowHosts: ['127.0.0.1'] } });
    const error = await failure(c.send(get(redirect('http://169.254.169.254/latest/meta-data/'))));
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'source_blocked' });
    expect(error.message).toContain('169.254.169.254');
    expect(error.message).toContain('cloud metadata');
  });

  it('refuses a redirect to a name that resolves to a private address', async () => {
    const resolve = resolver({ 'evil.test': ['10.0.0.1'] });
    const c = client({ policy: { allowPrivate: false, allowHosts: ['127.0.0.1'] }, resolve });
    const error = await failure(c.send(get(redirect(`http://evil.test:${main.port}/echo`))));
    expect(error).toMatchObject({ code: 'source_blocked' });
    expect(error.message).toContain('evil.test (10.0.0.1)');
    expect(resolve.calls).toEqual(['evil.test']);
  });

  it('does not follow redirects to other schemes', async () => {
    const error = await failure(client().send(get(redirect('file:///etc/passwd'))));
    expect(error).toMatchObject({ code: 'source_bad_response' });
  });
});

describe('createHttpClient: the private-network guard', () => {
  const strict: AddressPolicy = { allowPrivate: false, allowHosts: [] };

  it('reaches the loopback server only when allowPrivate is true', async () => {
    const error = await failure(client({ policy: strict }).send(get(`${main.origin}/json`)));
    expect(error).toMatchObject({ code: 'source_blocked' });
    expect(error.message).toMatch(/^Refused to connect to 127\.0\.0\.1: loopback addresses/);
    expect((await client({ policy: open }).send(get(`${main.origin}/json`))).status).toBe(200);
  });

  it.each(['2130706433', '0x7f.1', '017700000001', '127.1', '[::1]', '[::ffff:127.0.0.1]'])(
    'checks the IP literal http://%s/ too',
    async (host) => {
      const error = await failure(client({ policy: strict }).send(get(`http://${host}:${main.port}/json`)));
      expect(error).toMatchObject({ code: 'source_blocked' });
    },
  );

  it('reaches the server through the normalised odd IPv4 forms when allowed', async () => {
    for (const host of ['2130706433', '0x7f.1', '017700000001']) {
      expect((await client().send(get(`http://${host}:${main.port}/json`))).url).toBe(`${main.origin}/json`);
    }
  });

  it('refuses a public-looking name that resolves to a private address, with no connection attempted', async () => {
    const resolve = resolver({ 'api.example.com': ['10.0.0.1'] });
    const error = await failure(client({ policy: strict, resolve }).send(get('http://api.example.com/users')));
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'source_blocked' });
    expect(error.message).toContain('api.example.com (10.0.0.1): private network addresses are blocked');
    expect(resolve.calls).toEqual(['api.example.com']);
  });

  it('refuses a name with any blocked address among public ones (DNS rebinding)', async () => {
    const resolve = resolver({ 'rebind.example.com': ['93.184.216.34', '169.254.169.254'] });
    const error = await failure(client({ policy: strict, resolve }).send(get('http://rebind.example.com/')));
    expect(error).toMatchObject({ code: 'source_blocked' });
    expect(error.message).toContain('cloud metadata');
  });

  it('reaches hosts listed in allowHosts, wildcards included, whatever they resolve to', async () => {
    const resolve = resolver({ 'api.internal.test': ['127.0.0.1'], 'db.internal.test': ['127.0.0.1'] });
    const c = client({ policy: { allowPrivate: false, allowHosts: ['*.internal.test'] }, resolve });
    const response = await c.send(get(`http://api.internal.test:${main.port}/echo`));
    expect((JSON.parse(response.body) as { headers: Record<string, string> }).headers.host).toBe(
      `api.internal.test:${main.port}`,
    );
    const narrow = client({ policy: { allowPrivate: false, allowHosts: ['api.internal.test'] }, resolve });
    expect(await failure(narrow.send(get(`http://db.internal.test:${main.port}/echo`)))).toMatchObject({
      code: 'source_blocked',
    });
  });

  it('refuses URLs that are not http or https', async () => {
    expect(await failure(client().send(get(`ftp://127.0.0.1:${main.port}/`)))).toMatchObject({ code: 'source_blocked' });
    expect(await failure(client().send(get('not a url')))).toMatchObject({ code: 'source_blocked' });
  });
});

describe('createHttpClient: failures', () => {
  it('times out a server that never answers, naming the URL and the limit', async () => {
    const error = await failure(client().send(get(`${main.origin}/hang`, { timeoutMs: 200 })));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'source_timeout' });
    expect(error.message).toBe(`GET ${main.origin}/hang did not answer within 200 ms`);
  });

  it('times out a body that never ends: the deadline covers the body', async () => {
    const error = await failure(client().send(get(`${main.origin}/slow-body`, { timeoutMs: 200 })));
    expect(error).toMatchObject({ code: 'source_timeout' });
  });

  it('caps the body while reading it, with or without a Content-Length', async () => {
    const c = client({ maxResponseBytes: 1024 });
    expect((await c.send(get(`${main.origin}/big?bytes=1024`))).body).toHaveLength(1024);
    for (const chunked of ['no', 'yes']) {
      const error = await failure(c.send(get(`${main.origin}/big?bytes=5000&chunked=${chunked}`)));
      expect(error).toBeInstanceOf(UserError);
      expect(error).toMatchObject({ code: 'source_bad_response' });
      expect(error.message).toBe(`GET ${main.origin}/big?bytes=5000&chunked=${chunked} answered with a body larger than 1 KiB`);
    }
  });

  it('caps the decoded size of a compressed body', async () => {
    const error = await failure(client({ maxResponseBytes: 64 * 1024 }).send(get(`${main.origin}/bomb`)));
    expect(error).toMatchObject({ code: 'source_bad_response' });
    expect(error.message).toContain('larger than 64 KiB');
  });

  it('reports a closed port as unreachable, with secrets in the URL masked', async () => {
    const closed = await startServer(echo);
    await closed.close();
    const error = await failure(client().send(get(`${closed.origin}/x?api_key=s3cr3t&page=1`)));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'source_unreachable' });
    expect(error.message).toBe(
      `GET ${closed.origin}/x?api_key=********&page=1 could not be reached: the connection was refused (ECONNREFUSED)`,
    );
  });

  it('masks the extra secret parameters a request names', async () => {
    const error = await failure(
      client({ resolve: resolver({}) }).send(get('http://nowhere.test/x?hapikey=s3cr3t', { secretParams: ['hapikey'] })),
    );
    expect(error).toMatchObject({ code: 'source_unreachable' });
    expect(error.message).toBe(
      'GET http://nowhere.test/x?hapikey=******** could not be reached: the host name was not found (DNS) (ENOTFOUND)',
    );
  });

  it('reports a server that does not speak HTTP as a bad response', async () => {
    const garbage = net.createServer((socket) => {
      // Reading lets the client's FIN arrive, so the socket (and close() below) can finish.
      socket.resume();
      socket.end('SSH-2.0-OpenSSH_9.0\r\n\r\n');
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    try {
      const port = (garbage.address() as net.AddressInfo).port;
      const error = await failure(client().send(get(`http://127.0.0.1:${port}/`)));
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'source_bad_response' });
      expect(error.message).toContain(`GET http://127.0.0.1:${port}/ did not answer with valid HTTP`);
    } finally {
      await new Promise<void>((resolve) => garbage.close(() => resolve()));
    }
  });

  it("stops when the caller's signal aborts, saying cancelled and not timed out", async () => {
    const controller = new AbortController();
    const arrived = new Promise<void>((resolve) => (requestArrived = resolve));
    const pending = client().send(get(`${main.origin}/hang`, { signal: controller.signal, timeoutMs: 60_000 }));
    await arrived;
    controller.abort();
    const error = await failure(pending);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error).not.toBeInstanceOf(AppError);
    expect(error.name).toBe('AbortError');
    expect(error.message).toBe(`GET ${main.origin}/hang was cancelled`);
  });

  it('does not send at all with an already aborted signal', async () => {
    const server = await startServer(echo);
    const error = await failure(client().send(get(`${server.origin}/echo`, { signal: AbortSignal.abort() })));
    expect(error.name).toBe('AbortError');
    expect(server.connections).toBe(0);
  });
});

/** A throwaway self-signed certificate for `tls.test`, made for this test only; no client trusts it. */
const TEST_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghors8vPD7uUfG6gA
s5iEXIns+WCF/YsU6B59Z9NdVqWhRANCAASFcbKuN4XBYmRJciNmzfYx9PFq7APN
IYg9ZkGpRBHRne7sI7uILfXQl4JCqyG6B0b70UY4PnVoy3+c0Ej48h47
-----END PRIVATE KEY-----`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBkjCCATigAwIBAgIUKQVtyN9C02y6qOtuTQ7I00aUUVowCgYIKoZIzj0EAwIw
EzERMA8GA1UEAwwIdGxzLnRlc3QwIBcNMjYxMTIxMDYxNTQ1WhgPMjEyNjEwMjgw
NjE1NDVaMBMxETAPBgNVBAMMCHRscy50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEhXGyrjeFwWJkSXIjZs32MfTxauwDzSGIPWZBqUQR0Z3u7CO7iC310JeC
QqshugdG+9FGOD51aMt/nNBI+PIeO6NoMGYwHQYDVR0OBBYEFAuieLFS9z+cY+fR
IzEp1TVqka4SMB8GA1UdIwQYMBaAFAuieLFS9z+cY+fRIzEp1TVqka4SMA8GA1Ud
EwEB/wQFMAMBAf8wEwYDVR0RBAwwCoIIdGxzLnRlc3QwCgYIKoZIzj0EAwIDSAAw
RQIgdG8rXgvn3AgQVBqyvJpyiLlKsQ2eQtxQuZy4YXrqCT4CIQCXTceWrbexQzX/
XKQruJmQZjPe+KbRnKYel3NOE1VgLQ==
-----END CERTIFICATE-----`,
};

describe('createHttpClient: TLS', () => {
  let secure: https.Server;
  let port: number;

  beforeAll(async () => {
    secure = https.createServer(TEST_TLS, echo);
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    port = (secure.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    secure.closeAllConnections();
    await new Promise<void>((resolve) => secure.close(() => resolve()));
  });

  it('reports an untrusted certificate as unreachable, resolving through the guarded lookup', async () => {
    const resolve = resolver({ 'tls.test': ['127.0.0.1'] });
    const c = client({ policy: { allowPrivate: false, allowHosts: ['tls.test'] }, resolve });
    const error = await failure(c.send(get(`https://tls.test:${port}/`)));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'source_unreachable' });
    expect(error.message).toContain(`GET https://tls.test:${port}/ could not be reached: the TLS connection failed`);
    expect(resolve.calls).toEqual(['tls.test']);
  });

  it('guards https connections too', async () => {
    const resolve = resolver({ 'secure.test': ['10.0.0.1'] });
    const c = client({ policy: { allowPrivate: false, allowHosts: [] }, resolve });
    const error = await failure(c.send(get('https://secure.test/')));
    expect(error).toMatchObject({ code: 'source_blocked' });
  });
});
