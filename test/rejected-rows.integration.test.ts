import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunView } from '../src/engine/index.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';

/**
 * A source's rejected rows follow the same rule as its loaded rows: an
 * upsert connection read on every run holds one rejected row per bad record
 * of the current data, not one per run, and a record fixed at the source
 * leaves the rejected rows once it loads.
 */
describeEachDatabase('rejected rows of an upsert connection', (fixture) => {
  let t: TestApp;
  let source: Server;
  let records: unknown[] = [];
  const admin = () => bearer(t.adminToken);

  const run = async (connectionId: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId } });
    const view = res.json<{ run: RunView }>().run;
    expect(view.state, JSON.stringify(view.tasks)).toBe('success');
    return view;
  };
  const table = async (name: string) => {
    const tables = (await t.app.inject({ method: 'GET', url: '/api/tables', headers: admin() })).json<{ tables: { name: string; rowCount: number; rejectedCount: number }[] }>().tables;
    const rejected = (await t.app.inject({ method: 'GET', url: `/api/tables/${name}/rejected?limit=100`, headers: admin() })).json<{ rows: { raw: Record<string, unknown>; reason: string }[]; total: number }>();
    return { ...tables.find((x) => x.name === name)!, rejected };
  };

  beforeAll(async () => {
    t = await createTestApp(fixture);
    t.services.engine.start();
    source = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(records));
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
    for (const [id, fieldMappings] of [
      ['mapped-upsert', [{ source: '$.id', target: 'id', type: 'integer', required: true }, { source: '$.qty', target: 'qty', type: 'integer' }]],
      ['nested-upsert', [{ source: '$.ref.code', target: 'code', type: 'string', required: true }, { source: '$.qty', target: 'qty', type: 'integer' }]],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/connections',
        headers: admin(),
        payload: { id, name: id, apiConfig: { baseUrl: url }, fieldMappings, destination: { table: id.replace('-', '_'), writeMode: 'upsert', primaryKey: [fieldMappings[0].target] } },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => source.close(resolve));
  });

  it('keeps one rejected row per bad record of the current data, however many runs read it', async () => {
    records = [
      { id: 1, qty: 5 },
      { id: 2, qty: 'eleven' },
      { id: 3, qty: 7 },
      { id: 'x', qty: 1 },
    ];
    for (let i = 0; i < 4; i++) await run('mapped-upsert');
    let now = await table('mapped_upsert');
    expect(now.rowCount).toBe(2);
    expect(now.rejectedCount).toBe(2);
    expect(now.rejected.total).toBe(2);
    expect(now.rejected.rows.map((r) => r.raw).sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual([
      { id: 2, qty: 'eleven' },
      { id: 'x', qty: 1 },
    ]);

    // Record 2 still bad but different: still one rejected row for it, the newest.
    records[1] = { id: 2, qty: 'twelve' };
    await run('mapped-upsert');
    now = await table('mapped_upsert');
    expect(now.rejected.rows.filter((r) => r.raw.id === 2).map((r) => r.raw.qty)).toEqual(['twelve']);
    expect(now.rejectedCount).toBe(2);

    // Fixed at the source: it loads, and its rejection goes.
    records[1] = { id: 2, qty: 12 };
    await run('mapped-upsert');
    now = await table('mapped_upsert');
    expect(now.rowCount).toBe(3);
    expect(now.rejected.rows.map((r) => r.raw)).toEqual([{ id: 'x', qty: 1 }]);
    expect(now.rejectedCount).toBe(1);
  });

  it('finds the key of a rejected record under a nested mapping path', async () => {
    records = [
      { ref: { code: 'A' }, qty: 1 },
      { ref: { code: 'B' }, qty: 'n/a' },
    ];
    for (let i = 0; i < 3; i++) await run('nested-upsert');
    let now = await table('nested_upsert');
    expect([now.rowCount, now.rejectedCount, now.rejected.total]).toEqual([1, 1, 1]);
    records[1] = { ref: { code: 'B' }, qty: 2 };
    await run('nested-upsert');
    now = await table('nested_upsert');
    expect([now.rowCount, now.rejectedCount, now.rejected.total]).toEqual([2, 0, 0]);
  });
});
