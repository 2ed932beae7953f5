import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, dropWithRetries, TEST_DATABASE_URL } from './helpers/databases.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import pg from 'pg';

// The Data API over the warehouse: org-scoped reads of typed tables and their rejected rows.
describeEachDatabase('Data API', (fx) => {
  let t: TestApp;
  const suffix = randomBytes(3).toString('hex');
  const orgA = `data_a_${suffix}`;
  const orgB = `data_b_${suffix}`;
  let a: { token: string };
  let b: { token: string };

  beforeAll(async () => {
    t = await createTestApp(fx);
    a = await t.orgWithUser(orgA, 'viewer');
    b = await t.orgWithUser(orgB, 'viewer');
    const columns = [
      { name: 'sku', type: 'string', nullable: false },
      { name: 'qty', type: 'integer', nullable: true },
      { name: 'price', type: 'number', nullable: true },
    ] as const;
    async function* batches() {
      yield {
        rows: [
          { sku: 'A-1', qty: 3, price: 9.5 },
          { sku: 'B-2', qty: 7, price: 12.25 },
        ],
        rejected: [{ raw: { sku: 'C-3', qty: 'many' }, field: 'qty', reason: '"many" is not an integer' }],
      };
    }
    const result = await t.services.warehouse.load(orgA, 'products', batches(), {
      writeMode: 'append',
      columns: [...columns],
      runId: 'run-1',
      sourceId: 'file-1',
    });
    expect(result).toEqual({ loaded: 2, rejected: 1 });
    // Org B has a table of the same name, with other rows.
    async function* other() {
      yield { rows: [{ sku: 'SECRET-B', qty: 1, price: 1 }], rejected: [] };
    }
    await t.services.warehouse.load(orgB, 'products', other(), { writeMode: 'append', columns: [...columns], runId: 'run-b', sourceId: 'file-b' });
  });

  afterAll(async () => {
    await t?.close();
    if (fx.kind === 'postgres' && TEST_DATABASE_URL) {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      for (const org of [orgA, orgB]) await dropWithRetries(admin, `orgdata_${org}`);
      await admin.end();
    }
  });

  it('lists the tables of the caller’s organisation with counts and columns', async () => {
    const res = await t.app.inject({ url: '/api/tables', headers: bearer(a.token) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().tables).toEqual([
      expect.objectContaining({
        name: 'products',
        rowCount: 2,
        rejectedCount: 1,
        columns: [
          { name: 'sku', type: 'string' },
          { name: 'qty', type: 'integer' },
          { name: 'price', type: 'number' },
        ],
      }),
    ]);
  });

  it('pages and orders rows, with Sluice’s lineage columns', async () => {
    const res = await t.app.inject({ url: '/api/tables/products/rows?orderBy=-qty&limit=1', headers: bearer(a.token) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ total: 2, rows: [{ sku: 'B-2', qty: 7, price: 12.25, _sluice_run_id: 'run-1' }] });
    expect(res.json().rows[0]._sluice_loaded_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const bad = await t.app.inject({ url: '/api/tables/products/rows?orderBy=nope', headers: bearer(a.token) });
    expect(bad.statusCode).toBe(400);
  });

  it('shows rejected rows with the field and the reason', async () => {
    const res = await t.app.inject({ url: '/api/tables/products/rejected', headers: bearer(a.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: 1, rows: [{ raw: { sku: 'C-3', qty: 'many' }, field: 'qty', reason: '"many" is not an integer', runId: 'run-1' }] });
  });

  it("never shows another organisation's table, whatever its name", async () => {
    const rows = await t.app.inject({ url: '/api/tables/products/rows', headers: bearer(b.token) });
    expect(rows.json().rows.map((r: { sku: string }) => r.sku)).toEqual(['SECRET-B']);
    for (const url of ['/api/tables/missing/rows', '/api/tables/missing/rejected', `/api/tables/${'x'.repeat(60)}/rows`, '/api/tables/pg_class/rows', '/api/tables/..%2Fusers/rows']) {
      const res = await t.app.inject({ url, headers: bearer(a.token) });
      expect(res.statusCode, url).toBe(404);
    }
    expect((await t.app.inject({ url: '/api/tables?org_id=' + orgB, headers: bearer(a.token) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/tables' })).statusCode).toBe(401);
  });
});
