/**
 * The one way Sluice talks to source APIs: an undici Agent (keep-alive pool)
 * whose every connection goes through the private-network guard, with
 * redirects, decompression, a whole-request deadline and a body size cap.
 * It does not interpret statuses: a 404 or a 503 is a response like a 200,
 * and retrying is the caller's choice (see retry.ts).
 */
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Agent } from 'undici';
import { AppError, TransientError, UserError } from '../../../errors/index.js';
import { VERSION } from '../../../version.js';
import { CancelledError } from './abort.js';
import { checkUrlHost, createGuardedLookup, systemResolver, type AddressPolicy, type Resolver } from './address-guard.js';
import { maskUrl } from './mask-url.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: URL | string;
  headers?: Record<string, string>;
  body?: string | undefined;
  /** Deadline for the whole exchange: every redirect hop and the full body. */
  timeoutMs: number;
  /** The caller's cancellation (a cancelled run); aborting rejects with a `CancelledError`. */
  signal?: AbortSignal;
  /** Query parameter names to mask in messages besides the usual ones (an API key sent in the query). */
  secretParams?: readonly string[];
  /** Header names to drop when a redirect leaves the origin, besides Authorization, Proxy-Authorization and Cookie. */
  secretHeaders?: readonly string[];
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The final URL, after redirects. Not masked: mask it with `maskUrl` before showing it. */
  url: string;
  /** The decompressed body, decoded as UTF-8 (sources answer JSON), without a byte order mark. */
  body: string;
  /** Time from sending to the end of the body, redirects included. */
  ms: number;
  /** The URLs that answered with a redirect, in order; empty when none did. Not masked. */
  redirects: string[];
}

export interface HttpClient {
  /** Sends one request, following redirects; any status is a response, failures throw AppErrors or a CancelledError. */
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Closes pooled connections; the client cannot be used afterwards. */
  close(): Promise<void>;
}

export interface HttpClientOptions {
  policy: AddressPolicy;
  userAgent?: string;
  /** Largest body accepted, compressed or not. Default 50 MiB. */
  maxResponseBytes?: number;
  /** Resolves host names before the guard checks them; `dns.lookup` by default. Tests inject one. */
  resolve?: Resolver;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024;
export const DEFAULT_USER_AGENT = `Sluice/${VERSION}`;
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Credentials that must not follow a redirect to another origin. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'transfer-encoding'];

/** Creates a client with its own connection pool; call `close()` when done. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const agent = new Agent({
    connect: { lookup: createGuardedLookup(options.policy, options.resolve ?? systemResolver) },
    // The deadline of each request covers headers and body; undici's own idle timers would only cut it shorter.
    headersTimeout: 0,
    bodyTimeout: 0,
  });

  async function send(request: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    let url = toHttpUrl(request.url);
    let method: HttpMethod = request.method;
    let body = request.body;
    const headers = prepareHeaders(request.headers, url, userAgent);
    const originBound = [...ORIGIN_BOUND_HEADERS, ...(request.secretHeaders ?? []).map((h) => h.toLowerCase())];
    const redirects: string[] = [];
    const describe = (): string => `${method} ${maskUrl(url, request.secretParams)}`;

    if (request.signal?.aborted) throw cancelled(describe(), request.signal);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    const onCallerAbort = (): void => controller.abort();
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });

    try {
      for (;;) {
        checkUrlHost(url, options.policy);
        const response = await agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          body,
          signal: controller.signal,
        });
        const status = response.statusCode;
        const location = firstValue(response.headers.location);

        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          // The body of a redirect is never used; reading it off frees the connection for reuse.
          await response.body.dump();
          if (redirects.length >= MAX_REDIRECTS) {
            throw new UserError('source_bad_response', `${describe()} redirected more than ${MAX_REDIRECTS} times`, {
              details: { redirects: [...redirects, url.href].map((u) => maskUrl(u, request.secretParams)) },
            });
          }
          const next = resolveLocation(location, url, describe());
          redirects.push(url.href);
          if (status === 303 && method !== 'HEAD') {
            method = 'GET';
            body = undefined;
            for (const name of BODY_HEADERS) delete headers[name];
          }
          if (next.origin !== url.origin) {
            // Credentials were meant for the origin the user configured, not for wherever it
            // redirects to (another host, port or scheme): drop them, as browsers and curl do.
            for (const name of originBound) delete headers[name];
          }
          url = next;
          continue;
        }

        const raw = await readBody(response.body, maxBytes, describe);
        const responseHeaders = flattenHeaders(response.headers);
        const decoded =
          method === 'HEAD' || raw.length === 0
            ? raw
            : await decode(raw, responseHeaders['content-encoding'], maxBytes, describe);
        return {
          status,
          headers: responseHeaders,
          url: url.href,
          body: new TextDecoder('utf-8').decode(decoded),
          ms: Math.round(performance.now() - started),
          redirects,
        };
      }
    } catch (error) {
      if (request.signal?.aborted) throw cancelled(describe(), request.signal);
      if (timedOut) {
        throw new TransientError('source_timeout', `${describe()} did not answer within ${request.timeoutMs} ms`, {
          details: { timeoutMs: request.timeoutMs },
        });
      }
      throw translateError(error, describe());
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    send,
    close: () => agent.close(),
  };
}

function toHttpUrl(input: URL | string): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new UserError('source_blocked', `Refused to request ${maskUrl(String(input))}: it is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError('source_blocked', `Refused to request ${maskUrl(url)}: only http:// and https:// URLs are allowed`);
  }
  return url;
}

function resolveLocation(location: string, base: URL, described: string): URL {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch {
    throw new UserError('source_bad_response', `${described} redirected to an invalid URL`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new UserError(
      'source_bad_response',
      `${described} redirected to ${maskUrl(next)}; only http:// and https:// are followed`,
    );
  }
  return next;
}

/** Lower-cases names (so a caller's `Accept-Encoding` cannot sit beside ours) and adds the client's own. */
function prepareHeaders(given: Record<string, string> | undefined, url: URL, userAgent: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given ?? {})) headers[name.toLowerCase()] = value;
  headers['user-agent'] ??= userAgent;
  // Only encodings decode() understands; a caller's own choice could hand us a body we cannot read.
  headers['accept-encoding'] = 'gzip, deflate, br';
  if (headers.authorization === undefined && (url.username !== '' || url.password !== '')) {
    // undici ignores userinfo; send it the way curl and browsers do.
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return headers;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function tooLarge(described: string, maxBytes: number): UserError {
  return new UserError('source_bad_response', `${described} answered with a body larger than ${formatBytes(maxBytes)}`, {
    details: { maxResponseBytes: maxBytes },
  });
}

function formatBytes(bytes: number): string {
  const mib = 1024 * 1024;
  if (bytes >= mib && bytes % mib === 0) return `${bytes / mib} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Reads the (still encoded) body, giving up as soon as it passes `maxBytes` rather than after buffering it all. */
async function readBody(body: AsyncIterable<Buffer>, maxBytes: number, describe: () => string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop by throwing destroys the stream, closing the connection instead of draining it.
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(describe(), maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotliDecompress = promisify(zlib.brotliDecompress);

/**
 * Undoes `Content-Encoding` (applied in order, so undone last first). Runs on
 * the whole, already size-capped body in zlib's thread pool;
 * `maxOutputLength` stops a small "zip bomb" from growing past the cap.
 */
async function decode(
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
  describe: () => string,
): Promise<Buffer> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity')
    .reverse();
  let data = raw;
  for (const coding of codings) {
    const options = { maxOutputLength: maxBytes };
    try {
      switch (coding) {
        case 'gzip':
        case 'x-gzip':
          data = await gunzip(data, options);
          break;
        case 'deflate':
          // HTTP's deflate is zlib-wrapped, but some servers send raw deflate; a zlib header's low nibble is 8.
          data = (data[0]! & 0x0f) === 0x08 ? await inflate(data, options) : await inflateRaw(data, options);
          break;
        case 'br':
          data = await brotliDecompress(data, options);
          break;
        default:
          throw new UserError(
            'source_bad_response',
            `${describe()} answered with Content-Encoding ${coding}, which Sluice cannot decode`,
          );
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(describe(), maxBytes);
      throw new UserError(
        'source_bad_response',
        `${describe()} answered with a ${coding} body that could not be decoded: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return data;
}

function cancelled(described: string, signal: AbortSignal): CancelledError {
  return new CancelledError(`${described} was cancelled`, { cause: signal.reason });
}

/** Human words for the network failures people meet; the code is shown beside them. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name was not found (DNS)',
  EAI_AGAIN: 'the DNS lookup failed temporarily',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EPIPE: 'the connection was closed while sending',
  UND_ERR_SOCKET: 'the server closed the connection (socket hang up)',
  UND_ERR_CLOSED: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the response ended before its announced length',
};

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$)/;

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown }; errors?: { code?: unknown }[] };
  for (const candidate of [e?.code, e?.cause?.code, e?.errors?.[0]?.code]) {
    if (typeof candidate === 'string') return candidate;
  }
  return undefined;
}

/**
 * Turns what undici and the socket throw into AppErrors: network and TLS
 * failures into `source_unreachable` (transient), a reply that is not HTTP
 * into `source_bad_response`, a request undici refuses to send into
 * `invalid_config`. Anything else is a bug and goes up unchanged.
 */
function translateError(error: unknown, described: string): unknown {
  if (error instanceof AppError) return error;
  const message = (error as Error | undefined)?.message ?? String(error);
  // undici's parser errors carry an HPE_ code only sometimes; the name is always there.
  if ((error as Error | undefined)?.name === 'HTTPParserError') {
    return new UserError('source_bad_response', `${described} did not answer with valid HTTP: ${message}`, {
      cause: error,
    });
  }
  const code = errorCode(error);
  if (code === undefined) return error;
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    return new UserError('invalid_config', `${described} cannot be sent: ${message}`, { cause: error });
  }
  let reason = NETWORK_REASONS[code];
  if (reason === undefined && TLS_CODE.test(code)) reason = `the TLS connection failed: ${message}`;
  if (reason === undefined && /^E[A-Z]+$/.test(code)) reason = message;
  if (reason === undefined) return error;
  return new TransientError('source_unreachable', `${described} could not be reached: ${reason} (${code})`, {
    cause: error,
    details: { code },
  });
}
