/**
 * bench/extract: how close Sluice's REST extraction comes to the best any
 * client could do against a slow API.
 *
 * A local API answers every page after a fixed latency. No client can read
 * P pages faster than P × latency ÷ concurrency, so that lower bound is the
 * reference, measured in the same run; the ratio Sluice / bound is printed
 * (1.00 is perfect). Then 100,000 records pass through extraction and
 * mapping, reporting records per second and the peak RSS, which must not
 * grow with the number of records.
 *
 * Run: npx tsx bench/extract.ts [--pages 200] [--latency 20] [--concurrency 4] [--records 100000] [--no-warmup]
 * The latency-bound pass is measured after one unmeasured pass (warm JIT), unless --no-warmup.
 * Traffic stays on 127.0.0.1.
 */
import { createServer } from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ApiConfig } from '../src/connectors/http/config.schema.js';
import { HttpExtraction } from '../src/connectors/http/extract.js';
import { createHttpClient } from '../src/connectors/http/transport/index.js';
import { createMapper } from '../src/mapping/index.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '200' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    records: { type: 'string', default: '100000' },
    'page-size': { type: 'string', default: '500' },
    'no-warmup': { type: 'boolean', default: false },
  },
});
const pages = Number(values.pages);
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);
const totalRecords = Number(values.records);
const pageSize = Number(values['page-size']);

/** A page of `size` records starting at `offset`, answered after `delay` ms. */
function startApi(recordCount: number, delay: number) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bench');
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const end = Math.min(recordCount, offset + limit);
    const data: Record<string, unknown>[] = [];
    for (let i = offset; i < end; i++) {
      data.push({ id: i, name: `item ${i}`, price: `${(i % 1000) / 10}`, tags: ['a', 'b'], updated_at: '2026-01-01T00:00:00Z' });
    }
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data, total: recordCount }));
    }, delay);
  });
  return new Promise<{ url: string; close: () => void }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      }),
    ),
  );
}

async function run(url: string, limit: number, records: number, conc: number, map: boolean) {
  const client = createHttpClient({ policy: { allowPrivate: true, allowHosts: [] } });
  const apiConfig = ApiConfig.parse({
    baseUrl: url,
    recordsPath: '$.data',
    pagination: { type: 'offset', limit, totalPath: '$.total' },
    rateLimit: { concurrency: conc },
  });
  const mapper = createMapper(
    map
      ? [
          { source: '$.id', target: 'id', type: 'integer', required: true },
          { source: '$.name', target: 'name', type: 'string' },
          { source: '$.price', target: 'price', type: 'number' },
          { source: '$.updated_at', target: 'updated_at', type: 'timestamp' },
        ]
      : [],
  );
  const extraction = new HttpExtraction({ apiConfig, parameters: [] }, { now: new Date(), lastRunAt: undefined, cursor: undefined }, client);
  let peakRss = process.memoryUsage.rss();
  let seen = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for await (const batch of extraction.batches()) {
    for (const record of batch) if (map) mapper.map(record);
    seen += batch.length;
    // process.memoryUsage() (heap statistics too) costs ~0.4 ms a call, as much as a request: only the RSS, and only when mapping.
    if (map) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await client.close();
  if (seen !== records) throw new Error(`expected ${records} records, read ${seen}`);
  return { ms, cpuMs: (used.user + used.system) / 1000, peakRss, requests: extraction.requestCount };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

// 1. Latency-bound: P pages of 10 records with a fixed server latency.
const latencyApi = await startApi(pages * 10, latencyMs);
const bound = (pages * latencyMs) / concurrency;
// A first pass warms the JIT and the connection pool's code paths, as any long-running server is warm.
if (!values['no-warmup']) await run(latencyApi.url, 10, pages * 10, concurrency, false);
const timed = await run(latencyApi.url, 10, pages * 10, concurrency, false);
latencyApi.close();
console.log(`latency-bound: ${pages} pages x ${latencyMs} ms at concurrency ${concurrency}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
console.log(`  lower bound ${bound.toFixed(0)} ms, sluice ${timed.ms.toFixed(0)} ms (${timed.requests} requests)`);
// Client and API share this process: when CPU time nears the wall time, the machine, not the waiting, sets the pace.
console.log(`  CPU of this process (client and API): ${timed.cpuMs.toFixed(0)} ms, ${(timed.cpuMs / timed.requests).toFixed(2)} ms per request`);
console.log(`  ratio sluice/bound: ${(timed.ms / bound).toFixed(2)}`);

// 2. Throughput and memory: many records, no latency, extraction + mapping.
const bulkApi = await startApi(totalRecords, 0);
const baseline = process.memoryUsage.rss();
const bulk = await run(bulkApi.url, pageSize, totalRecords, concurrency, true);
bulkApi.close();
console.log(`throughput: ${totalRecords} records in pages of ${pageSize}, mapped to 4 typed columns`);
console.log(`  ${(totalRecords / (bulk.ms / 1000)).toFixed(0)} records/s, ${bulk.ms.toFixed(0)} ms`);
console.log(`  peak RSS ${mib(bulk.peakRss)} (started at ${mib(baseline)}; the API server shares this process)`);
