import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiConfig, type ApiConfigInput } from './config.schema.js';
import { HttpExtraction } from './extract.js';
import { createHttpClient, type HttpClient } from './transport/index.js';

/** A local API of `total` records served by offset, with a small delay, that counts requests in flight. */
function startOffsetApi(total: number, delayMs: number, options: { withTotal?: boolean } = {}) {
  let inFlight = 0;
  let maxInFlight = 0;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const url = new URL(req.url ?? '/', 'http://x');
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 10);
    const data: { id: number; updated_at: string }[] = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) data.push({ id: i, updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 86_400)).toISOString() });
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(options.withTotal ? { data, total } : { data }));
    }, delayMs);
  });
  return new Promise<{ url: string; maxInFlight: () => number; requests: () => number; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`,
        maxInFlight: () => maxInFlight,
        requests: () => requests,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}

const context = { now: new Date(), lastRunAt: undefined, cursor: undefined };

describe('HttpExtraction', () => {
  let client: HttpClient;
  beforeAll(() => {
    client = createHttpClient({ policy: { allowPrivate: true, allowHosts: [] } });
  });
  afterAll(async () => client.close());

  const extraction = (apiConfig: ApiConfigInput, incremental?: { cursorField: string }, options = {}) =>
    new HttpExtraction({ apiConfig: ApiConfig.parse(apiConfig), parameters: [], incremental }, context, client, options);

  it('streams 100,000 records as one batch per page, in order, each once', async () => {
    const api = await startOffsetApi(100_000, 0);
    try {
      const run = extraction({ baseUrl: api.url, recordsPath: '$.data', pagination: { type: 'offset', limit: 1000 }, rateLimit: { concurrency: 4 } });
      let next = 0;
      let batches = 0;
      for await (const batch of run.batches()) {
        expect(batch.length).toBeLessThanOrEqual(1000);
        for (const record of batch) expect((record as { id: number }).id).toBe(next++);
        batches++;
      }
      expect(next).toBe(100_000);
      // 100 full pages, then one empty page ends it.
      expect(batches).toBe(101);
      expect(run.stopReason).toBe('empty_page');
      expect(run.recordCount).toBe(100_000);
    } finally {
      api.close();
    }
  });

  it('keeps up to `concurrency` pages in flight for page and offset pagination', async () => {
    const api = await startOffsetApi(200, 30);
    try {
      const run = extraction({ baseUrl: api.url, recordsPath: '$.data', pagination: { type: 'offset', limit: 10 }, rateLimit: { concurrency: 3 } });
      for await (const _ of run.batches()) void _;
      expect(api.maxInFlight()).toBe(3);
      expect(run.recordCount).toBe(200);
    } finally {
      api.close();
    }
  });

  it('requests the next pages while the consumer is still busy with one (mapping, loading)', async () => {
    const api = await startOffsetApi(200, 5);
    try {
      const run = extraction({ baseUrl: api.url, recordsPath: '$.data', pagination: { type: 'offset', limit: 10 }, rateLimit: { concurrency: 2 } });
      const pages = run.batches();
      expect((await pages.next()).done).toBe(false);
      // The consumer holds page 0 and asks for nothing: requests go on, up to 2 × concurrency pages ahead of it.
      for (let waited = 0; api.requests() < 5 && waited < 200; waited++) await new Promise((r) => setTimeout(r, 25));
      expect(api.requests()).toBe(5);
      expect(api.maxInFlight()).toBeLessThanOrEqual(2);
      let records = 10;
      for await (const batch of pages) records += batch.length;
      expect(records).toBe(200);
    } finally {
      api.close();
    }
  });

  it('asks for no page past the total the API gives', async () => {
    const api = await startOffsetApi(95, 5, { withTotal: true });
    try {
      const run = extraction({ baseUrl: api.url, recordsPath: '$.data', pagination: { type: 'offset', limit: 10, totalPath: '$.total' }, rateLimit: { concurrency: 4 } });
      for await (const _ of run.batches()) void _;
      expect(run.recordCount).toBe(95);
      expect(run.stopReason).toBe('total_reached');
      expect(api.requests()).toBe(10);
    } finally {
      api.close();
    }
  });

  it('remembers the highest incremental cursor value seen', async () => {
    const api = await startOffsetApi(50, 0);
    try {
      const run = extraction({ baseUrl: api.url, recordsPath: '$.data', pagination: { type: 'offset', limit: 20 } }, { cursorField: 'updated_at' });
      for await (const _ of run.batches()) void _;
      expect(run.cursorCandidate).toBe('2026-01-01T00:00:49.000Z');
      const byPath = extraction({ baseUrl: api.url, recordsPath: '$.data', pagination: { type: 'offset', limit: 20 } }, { cursorField: '$.id' });
      for await (const _ of byPath.batches()) void _;
      expect(byPath.cursorCandidate).toBe(49);
    } finally {
      api.close();
    }
  });

  it('stops when the caller cancels', async () => {
    const api = await startOffsetApi(1000, 20);
    try {
      const controller = new AbortController();
      const run = extraction({ baseUrl: api.url, recordsPath: '$.data', pagination: { type: 'offset', limit: 10 } }, undefined, { signal: controller.signal });
      let pages = 0;
      await expect(
        (async () => {
          for await (const _ of run.batches()) {
            void _;
            if (++pages === 2) controller.abort();
          }
        })(),
      ).rejects.toThrow();
      expect(pages).toBe(2);
    } finally {
      api.close();
    }
  });
});
