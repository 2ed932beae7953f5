import { setMaxListeners } from 'node:events';
import { TransientError, UserError } from '../../errors/index.js';
import { compilePath, compilePathAll } from '../../mapping/index.js';
import { MASK, SecretMasker } from '../../secrets/index.js';
import { createAuthenticator, type Authenticator } from './auth/index.js';
import { looksSecret, type ApiConfig, type Parameter, type TemplateContext } from './config.schema.js';
import { createPaginator, type PageResult, type StopReason } from './paginators/index.js';
import { registerHeaderValue, registerSourceSecrets } from './source-secrets.js';
import { renderJsonTemplates, renderTemplate, templateScope } from './templates.js';
import {
  createRateLimiter,
  isRetryableStatus,
  maskUrl,
  sendWithRetries,
  type HttpClient,
  type HttpResponse,
  type RateLimiter,
} from './transport/index.js';

/** What the extractor needs of a connection. */
export interface HttpSourceConfig {
  apiConfig: ApiConfig;
  parameters: Parameter[];
  incremental?: { cursorField: string } | undefined;
}

/** A request not sent yet, as `firstRequest` shows it: secrets masked. */
export interface PlannedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** One request as the preview and run logs show it; secrets in the URL are masked. */
export interface RequestLogEntry {
  method: string;
  url: string;
  status: number | null;
  ms: number;
  attempt: number;
  error?: string;
}

export interface ExtractOptions {
  signal?: AbortSignal | undefined;
  /** Stop after this many pages (the smaller of this and the connection's maxPages). */
  maxPages?: number | undefined;
  /** Stop once this many records were read (the preview reads 50). */
  maxRecords?: number | undefined;
  /** Keep at most this many request log entries (the count goes on). */
  maxLoggedRequests?: number;
  /**
   * Where the source's secrets are registered (a task attempt's masker, so
   * its logs and errors are masked too); a masker of its own when absent.
   */
  secrets?: SecretMasker | undefined;
  /** Told each answered page, body and headers included (detection reads what the records alone do not say). */
  onPage?: ((page: PageResult) => void) | undefined;
}

const SNIPPET = 200;
const snippet = (body: string) => {
  const text = body.replace(/\s+/g, ' ').trim();
  return text.length > SNIPPET ? `${text.slice(0, SNIPPET)}…` : text;
};

/**
 * Reads a REST source page by page: templated request → credentials → rate
 * limit → retries → JSON → records. `batches()` is an async iterator of one
 * array of raw records per page, so any number of records passes through in
 * the memory of a few pages. After (or during) the iteration, `stopReason`,
 * `requests` and `cursorCandidate` tell what happened.
 *
 * The source's secrets (and OAuth access tokens as they are obtained) are
 * registered with `secrets`; every error `batches()` throws and every
 * request log entry is masked with it, so a source echoing a credential in
 * its answer cannot make Sluice repeat it.
 */
export class HttpExtraction {
  readonly requests: RequestLogEntry[] = [];
  /** The secrets of this source: mask with it anything else that quotes the source. */
  readonly secrets: SecretMasker;
  requestCount = 0;
  recordCount = 0;
  stopReason: StopReason | undefined;
  /** The JSONPath records were read from (the configured one, or the one found). */
  recordsPath: string | undefined;
  /** The highest value of the incremental cursor field seen. */
  cursorCandidate: string | number | undefined;

  readonly #config: HttpSourceConfig;
  readonly #client: HttpClient;
  readonly #auth: Authenticator;
  readonly #limiter: RateLimiter;
  readonly #options: ExtractOptions;
  readonly #scope: Record<string, unknown>;
  readonly #records: ((body: unknown) => unknown[]) | undefined;
  readonly #cursorOf: ((record: unknown) => unknown) | undefined;
  /** Headers not to carry across a redirect to another origin: the API key header and secret-looking free headers. */
  readonly #secretHeaders: string[];

  constructor(config: HttpSourceConfig, context: TemplateContext, client: HttpClient, options: ExtractOptions = {}) {
    this.#config = config;
    this.#client = client;
    this.#options = options;
    this.#scope = templateScope(context);
    this.secrets = options.secrets ?? new SecretMasker();
    registerSourceSecrets(this.secrets, config);
    this.#auth = createAuthenticator(config.apiConfig.auth, client, { timeoutMs: config.apiConfig.timeoutMs, secrets: this.secrets });
    this.#limiter = createRateLimiter({
      requestsPerSecond: config.apiConfig.rateLimit.requestsPerSecond,
      concurrency: config.apiConfig.rateLimit.concurrency,
    });
    this.#secretHeaders = [
      ...(config.apiConfig.auth.type === 'apiKey' && config.apiConfig.auth.in === 'header' ? [config.apiConfig.auth.name] : []),
      ...Object.keys(config.apiConfig.headers).filter(looksSecret),
      ...config.parameters.filter((p) => p.in === 'header' && looksSecret(p.name)).map((p) => p.name),
    ];
    this.recordsPath = config.apiConfig.recordsPath;
    this.#records = config.apiConfig.recordsPath ? compilePathAll(config.apiConfig.recordsPath) : undefined;
    const field = config.incremental?.cursorField;
    this.#cursorOf = field ? (field.startsWith('$') ? compilePath(field) : (r) => (r as Record<string, unknown> | null)?.[field]) : undefined;
  }

  /**
   * The first request as it would leave, without sending it: templates
   * rendered with this extraction's context, then every secret masked. The
   * credentials the authenticator adds when the request leaves are shown
   * where they go, masked (an OAuth token is fetched only then).
   */
  firstRequest(): PlannedRequest {
    const api = this.#config.apiConfig;
    const paginator = createPaginator(api.pagination);
    const base = this.baseUrl();
    const url = paginator.kind === 'sequential' ? paginator.first(base) : paginator.request(base, 0);
    const headers = this.headers();
    const auth = api.auth;
    if (auth.type === 'bearer' || auth.type === 'oauth2ClientCredentials') headers.authorization = `Bearer ${MASK}`;
    else if (auth.type === 'basic') headers.authorization = `Basic ${MASK}`;
    else if (auth.type === 'apiKey' && auth.in === 'header') headers[auth.name.toLowerCase()] = MASK;
    else if (auth.type === 'apiKey') url.searchParams.set(auth.name, MASK);
    for (const name of Object.keys(headers)) if (looksSecret(name) && name !== 'authorization') headers[name] = MASK;
    const body = this.body();
    return this.secrets.maskDeep({
      method: api.method,
      url: maskUrl(url, this.#auth.secretQueryParams).replaceAll(encodeURIComponent(MASK), MASK),
      headers,
      body: body === undefined ? null : (JSON.parse(body) as unknown),
    });
  }

  /** Raw records, one array per page. Errors are thrown with the source's secrets masked. */
  async *batches(): AsyncGenerator<unknown[]> {
    try {
      yield* this.pages();
    } catch (error) {
      throw this.secrets.maskError(error);
    }
  }

  private async *pages(): AsyncGenerator<unknown[]> {
    const api = this.#config.apiConfig;
    const paginator = createPaginator(api.pagination);
    const maxPages = Math.min(api.pagination.type === 'none' ? 1 : (api.pagination.maxPages ?? Infinity), this.#options.maxPages ?? Infinity);
    const base = this.baseUrl();

    if (paginator.kind === 'sequential') {
      let url = paginator.first(base);
      let bodyField: { path: string; value: string } | undefined;
      for (let index = 0; ; index++) {
        const page = await this.fetchPage(url, index, this.#options.signal, bodyField);
        yield page.records;
        if (this.reachedLimit()) return this.stop('record_limit');
        const next = paginator.next(page);
        if ('stop' in next) return this.stop(next.stop);
        if (index + 1 >= maxPages) return this.stop('max_pages');
        url = next.url;
        bodyField = next.bodyField;
      }
    }

    // Indexed pagination: `concurrency` requests in flight at all times, pages answered in order.
    // A request is launched as soon as another one settles, not when the consumer asks for the
    // next page: while it maps and loads one page, the next ones are already on their way. At
    // most 2 × concurrency pages are held (in flight or answered, not yet taken), so memory is
    // bounded whatever order the answers come in.
    const ahead = Math.max(1, api.rateLimit.concurrency);
    const controller = new AbortController();
    // Each request in flight listens to the signal (the rate limiter's queue, the client's deadline).
    setMaxListeners(4 * ahead + 10, controller.signal);
    const signal = this.#options.signal ? AbortSignal.any([this.#options.signal, controller.signal]) : controller.signal;
    if (signal !== controller.signal) setMaxListeners(4 * ahead + 10, signal);
    const held = new Map<number, Promise<PageResult & { records: unknown[] }>>();
    let taken = 0; // pages handed to the consumer
    let launched = 0; // pages requested
    let active = 0; // requests not yet settled
    let end = maxPages; // no page at or past this index is requested
    const pump = () => {
      while (active < ahead && launched < end && launched < taken + 2 * ahead && !controller.signal.aborted) {
        const index = launched++;
        active++;
        const page = this.fetchPage(paginator.request(base, index), index, signal);
        held.set(index, page);
        page.then(
          (answered) => {
            // A total in the answer bounds the pages: none is requested past the last.
            const count = paginator.pageCount?.(answered);
            if (count !== undefined) end = Math.min(end, Math.max(count, index + 1));
          },
          () => undefined, // observed when awaited; pages never awaited must not be unhandled rejections
        ).finally(() => {
          active--;
          pump();
        });
      }
    };
    try {
      for (let index = 0; index < maxPages; index++) {
        pump();
        // A later page gave a smaller total than the pages before it (rows deleted meanwhile): it ends here.
        if (index >= end) return this.stop(api.pagination.type === 'page' ? 'total_pages_reached' : 'total_reached');
        const page = await held.get(index)!;
        held.delete(index);
        taken = index + 1;
        pump();
        yield page.records;
        if (this.reachedLimit()) return this.stop('record_limit');
        const stop = paginator.stopAfter(page);
        if (stop) return this.stop(stop);
      }
      return this.stop('max_pages');
    } finally {
      controller.abort();
    }
  }

  private stop(reason: StopReason): void {
    this.stopReason = reason;
  }

  private reachedLimit(): boolean {
    return this.#options.maxRecords !== undefined && this.recordCount >= this.#options.maxRecords;
  }

  /** The base URL with path parameters filled in and query parameters added. */
  private baseUrl(): URL {
    let raw = this.#config.apiConfig.baseUrl;
    const query: [string, string][] = [];
    this.#config.parameters.forEach((p, i) => {
      const value = renderTemplate(p.value, this.#scope, `parameters.${i}.value`);
      if (looksSecret(p.name)) this.secrets.add(value);
      if (p.in === 'path') raw = raw.replaceAll(`{${p.name}}`, encodeURIComponent(value)).replaceAll(`%7B${p.name}%7D`, encodeURIComponent(value));
      else if (p.in === 'query' && value !== '') query.push([p.name, value]);
    });
    const url = new URL(raw);
    for (const [name, value] of query) url.searchParams.append(name, value);
    return url;
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [name, value] of Object.entries(this.#config.apiConfig.headers)) {
      const rendered = renderTemplate(value, this.#scope, `apiConfig.headers.${name}`);
      if (looksSecret(name)) registerHeaderValue(this.secrets, rendered);
      if (rendered !== '') headers[name.toLowerCase()] = rendered;
    }
    this.#config.parameters.forEach((p, i) => {
      if (p.in !== 'header') return;
      const rendered = renderTemplate(p.value, this.#scope, `parameters.${i}.value`);
      if (looksSecret(p.name)) registerHeaderValue(this.secrets, rendered);
      if (rendered !== '') headers[p.name.toLowerCase()] = rendered;
    });
    return headers;
  }

  private body(field?: { path: string; value: string }): string | undefined {
    const body = this.#config.apiConfig.body;
    if (body === null || body === undefined || this.#config.apiConfig.method === 'GET') return undefined;
    const rendered = renderJsonTemplates(body, this.#scope, 'apiConfig.body');
    if (field) setBodyField(rendered, field.path, field.value);
    return JSON.stringify(rendered);
  }

  /** One page: request with retries and credentials, then JSON and records. */
  private async fetchPage(
    url: URL,
    index: number,
    signal = this.#options.signal,
    bodyField?: { path: string; value: string },
  ): Promise<PageResult & { records: unknown[] }> {
    const response = await this.send(url, signal, bodyField);
    const body = this.parse(response, url);
    const records = this.extractRecords(body, url, index);
    this.recordCount += records.length;
    if (this.#cursorOf) for (const record of records) this.observeCursor(this.#cursorOf(record));
    const page = { url, index, body, headers: response.headers, recordCount: records.length, records };
    this.#options.onPage?.(page);
    return page;
  }

  private async send(url: URL, signal: AbortSignal | undefined, bodyField?: { path: string; value: string }): Promise<HttpResponse> {
    const api = this.#config.apiConfig;
    const body = this.body(bodyField);
    const method = api.method;
    const secretParams = this.#auth.secretQueryParams;
    const shown = maskUrl(url, secretParams);
    let refreshed = false;

    const attempt = async (n: number): Promise<HttpResponse> => {
      const request = { url: new URL(url), headers: this.headers() };
      if (body !== undefined) request.headers['content-type'] = 'application/json';
      const sendOnce = () =>
        this.#limiter.schedule(async () => {
          // Credentials go on when the request leaves, after any rate-limit wait, so a token cannot expire in the queue.
          await this.#auth.apply(request, signal);
          return this.#client.send({
            method,
            url: request.url,
            headers: request.headers,
            body,
            timeoutMs: api.timeoutMs,
            signal,
            secretParams,
            secretHeaders: this.#secretHeaders,
          });
        }, signal);
      try {
        let response = await sendOnce();
        this.log({ method, url: shown, status: response.status, ms: response.ms, attempt: n });
        if (response.status === 401 && this.#auth.refresh && !refreshed) {
          // An expired OAuth token: fetch a fresh one and send again, once, without spending a retry.
          refreshed = await this.#auth.refresh(signal);
          response = await sendOnce();
          this.log({ method, url: shown, status: response.status, ms: response.ms, attempt: n });
        }
        return response;
      } catch (error) {
        this.log({ method, url: shown, status: null, ms: 0, attempt: n, error: (error as Error).message });
        throw error;
      }
    };

    const response = await sendWithRetries(attempt, { policy: api.retry, signal, secretParams });
    if (isRetryableStatus(response.status)) {
      throw new TransientError('source_server_error', `${method} ${shown} answered ${response.status} through ${api.retry.maxAttempts} attempts: ${this.snippet(response.body)}`, {
        details: { url: shown, status: response.status },
      });
    }
    if (response.status === 401 || response.status === 403) {
      throw new UserError('source_auth_failed', `${method} ${shown} refused the credentials (${response.status}): ${this.snippet(response.body)}`, {
        details: { url: shown, status: response.status },
      });
    }
    if (response.status >= 400) {
      throw new UserError('source_http_error', `${method} ${shown} answered ${response.status}: ${this.snippet(response.body)}`, {
        details: { url: shown, status: response.status },
      });
    }
    return response;
  }

  /** The start of an answer for a message, masked before it is cut so that no part of a secret is left at the cut. */
  private snippet(body: string): string {
    return snippet(this.secrets.mask(body));
  }

  private log(entry: RequestLogEntry): void {
    this.requestCount++;
    if (this.requests.length < (this.#options.maxLoggedRequests ?? 1000)) this.requests.push(this.secrets.maskDeep(entry));
  }

  private parse(response: HttpResponse, url: URL): unknown {
    const shown = maskUrl(url, this.#auth.secretQueryParams);
    const text = response.body;
    const type = response.headers['content-type'] ?? '';
    if (text.trim() === '') {
      throw new UserError('source_bad_response', `${shown} answered ${response.status} with an empty body instead of JSON`, { details: { url: shown } });
    }
    try {
      return JSON.parse(text);
    } catch {
      const looksHtml = /^\s*</.test(text) || type.includes('html');
      const why = looksHtml
        ? `an HTML page (content-type ${type || 'unknown'}), not JSON`
        : `JSON that does not parse (${this.parseProblem(text)}); the answer may be cut short`;
      throw new UserError('source_bad_response', `${shown} answered ${response.status} with ${why}: ${this.snippet(text)}`, {
        details: { url: shown, status: response.status, contentType: type },
      });
    }
  }

  /**
   * Why a text is not JSON, in JSON.parse's words. They quote a few
   * characters of the text, which could be part of a secret: the masked
   * text is parsed for the message, so any quote is of masked text.
   */
  private parseProblem(text: string): string {
    try {
      JSON.parse(this.secrets.mask(text));
      return 'not valid JSON';
    } catch (error) {
      return (error as Error).message;
    }
  }

  private extractRecords(body: unknown, url: URL, index: number): unknown[] {
    if (this.#records) {
      const matches = this.#records(body);
      // `$.data` matches the array itself; `$.data[*]` or `$..items` match each record.
      const found = matches.length === 1 ? matches[0] : matches.length === 0 ? undefined : matches;
      if (Array.isArray(found)) return found;
      if (found === null) return [];
      if (found === undefined) {
        // Past the first page, a missing key usually means "no more"; on the first it means a wrong path.
        if (index > 0) return [];
        const keys = body && typeof body === 'object' ? Object.keys(body).slice(0, 20).join(', ') : typeof body;
        throw new UserError(
          'source_bad_response',
          `No records at ${this.recordsPath} in the answer of ${maskUrl(url, this.#auth.secretQueryParams)}; its top-level keys are: ${keys}`,
        );
      }
      return [found];
    }
    if (Array.isArray(body)) return body;
    if (body && typeof body === 'object') {
      // No recordsPath: an object holding exactly one array of objects is the usual `{ data: [...], meta }` envelope.
      const arrays = Object.entries(body).filter(([, v]) => Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object'));
      if (arrays.length === 1) {
        this.recordsPath = `$.${arrays[0]![0]}`;
        return arrays[0]![1] as unknown[];
      }
      return [body];
    }
    throw new UserError('source_bad_response', `${maskUrl(url, this.#auth.secretQueryParams)} answered ${JSON.stringify(body)}, not an object or array of records`);
  }

  private observeCursor(value: unknown): void {
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const current = this.cursorCandidate;
    if (current === undefined) {
      this.cursorCandidate = value;
      return;
    }
    // Numbers compare as numbers; anything else as strings, which orders ISO timestamps correctly.
    const greater = typeof value === 'number' && typeof current === 'number' ? value > current : String(value) > String(current);
    if (greater) this.cursorCandidate = value;
  }
}

/** Sets a dotted path (`variables.after`) inside a rendered JSON body, making the objects on the way. */
function setBodyField(body: unknown, path: string, value: string): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const keys = path.split('.');
  // A body is a plain object: a path through the prototype would change every object of the process.
  if (keys.some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) return;
  let node = body as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const child = Object.hasOwn(node, key) ? node[key] : undefined;
    if (!child || typeof child !== 'object' || Array.isArray(child)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}
