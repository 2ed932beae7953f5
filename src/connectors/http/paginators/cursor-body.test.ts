import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiConfig, type ApiConfigInput } from '../config.schema.js';
import { HttpExtraction } from '../extract.js';
import { createHttpClient, type HttpClient } from '../transport/index.js';

/**
 * A GraphQL-like API: POST bodies carry `variables.after`; answers carry `pageInfo { hasNextPage endCursor }`.
 * On its last page it still returns an endCursor (as GitHub's GraphQL API does), so only the flag stops reading.
 */
function startGraphqlApi(total: number) {
  const bodies: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as { variables: { after: string | null } };
      bodies.push(body);
      const from = body.variables.after ? Number(body.variables.after) : 0;
      const nodes = Array.from({ length: Math.max(0, Math.min(5, total - from)) }, (_, i) => ({ id: from + i }));
      const end = from + nodes.length;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { items: { nodes, pageInfo: { hasNextPage: end < total, endCursor: String(end) } } } }));
    });
  });
  return new Promise<{ url: string; bodies: unknown[]; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, bodies, close: () => server.close() })),
  );
}

describe('cursor pagination in the body, stopped by a has-more flag', () => {
  let client: HttpClient;
  let api: Awaited<ReturnType<typeof startGraphqlApi>>;
  beforeAll(async () => {
    client = createHttpClient({ policy: { allowPrivate: true, allowHosts: [] } });
    api = await startGraphqlApi(12);
  });
  afterAll(async () => {
    api.close();
    await client.close();
  });

  const read = async (apiConfig: Omit<ApiConfigInput, 'baseUrl'>) => {
    const run = new HttpExtraction({ apiConfig: ApiConfig.parse({ baseUrl: api.url, ...apiConfig }), parameters: [] }, { now: new Date(), lastRunAt: undefined, cursor: undefined }, client);
    const ids: number[] = [];
    for await (const batch of run.batches()) for (const r of batch) ids.push((r as { id: number }).id);
    return { ids, stopReason: run.stopReason };
  };

  it('sends the cursor in variables.after and stops when hasNextPage is false, not one request later', async () => {
    api.bodies.length = 0;
    const { ids, stopReason } = await read({
      method: 'POST',
      body: { query: 'query($after: String) { items(after: $after) { nodes { id } } }', variables: { after: null } },
      recordsPath: '$.data.items.nodes',
      pagination: { type: 'cursor', cursorPath: '$.data.items.pageInfo.endCursor', cursorParam: 'variables.after', cursorIn: 'body', hasMorePath: '$.data.items.pageInfo.hasNextPage' },
    });
    expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(stopReason).toBe('no_more');
    expect(api.bodies.map((b) => (b as { variables: { after: unknown } }).variables.after)).toEqual([null, '5', '10']);
  });

  it('never writes through the prototype when a body path names it', async () => {
    api.bodies.length = 0;
    await read({
      method: 'POST',
      body: { variables: { after: null } },
      recordsPath: '$.data.items.nodes',
      pagination: { type: 'cursor', cursorPath: '$.data.items.pageInfo.endCursor', cursorParam: '__proto__.polluted', cursorIn: 'body', hasMorePath: '$.data.items.pageInfo.hasNextPage', maxPages: 2 },
    }).catch(() => undefined);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
