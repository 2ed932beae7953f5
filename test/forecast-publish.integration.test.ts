import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StagedTable } from '../src/stores/warehouse/index.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';

/**
 * The retry-safety of a forecast's results (derived.ts): shards write their
 * rows under their try, a retried shard starts over, a lost try still
 * writing is left out, and publish replaces every result table in one
 * transaction or none — a reader sees the previous result or the new one,
 * never a mix or half of one.
 */
describeEachDatabase('forecast results: staged per shard and try, published whole', (fixture) => {
  let t: TestApp;
  const columns = [
    { name: 'sku', type: 'string' as const },
    { name: 'status', type: 'string' as const },
  ];
  const rowsOf = async (table: string) => {
    const { db, schema } = await t.services.warehouse.location('default');
    const { rows } = await db.query<{ sku: string; status: string }>(`SELECT sku, status FROM "${schema}"."${table}" ORDER BY sku`);
    return rows.map((r) => `${r.sku}:${r.status}`);
  };
  const stage = (table: string, runId: string): Promise<StagedTable> => t.services.warehouse.derived.stage('default', { table, columns, owner: runId });

  beforeAll(async () => {
    t = await createTestApp(fixture);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it("keeps each shard's successful try only: a retried shard starts over, and a lost try's late rows are left out", async () => {
    const d = t.services.warehouse.derived;
    const plan = await stage('stock__plan', 'run-a');
    // Shard 0, try 1, writes part of its rows and is lost.
    await d.clearPart('default', plan, { part: 0, attempt: 1 });
    await d.write('default', plan, { part: 0, attempt: 1 }, [['A', 'lost']]);
    // Its retry starts over and writes all of them.
    await d.clearPart('default', plan, { part: 0, attempt: 2 });
    await d.write('default', plan, { part: 0, attempt: 2 }, [
      ['A', 'ok'],
      ['B', 'reorder_now'],
    ]);
    // The lost try, still running somewhere, writes again after the retry began.
    await d.write('default', plan, { part: 0, attempt: 1 }, [['C', 'lost']]);
    await d.write('default', plan, { part: 1, attempt: 1 }, [['D', 'overstock']]);
    const request = { staging: plan.staging, table: 'stock__plan', runId: 'run-a', indexes: [['sku']], parts: [{ part: 0, attempt: 2, rows: 2 }, { part: 1, attempt: 1, rows: 1 }] };
    expect(await d.publish('default', [request])).toEqual([{ table: 'stock__plan', rows: 3 }]);
    expect(await rowsOf('stock__plan')).toEqual(['A:ok', 'B:reorder_now', 'D:overstock']);
    // A publish retried after its commit publishes nothing twice and fails nothing.
    expect(await d.publish('default', [request])).toEqual([{ table: 'stock__plan', rows: 3 }]);
    expect(await rowsOf('stock__plan')).toEqual(['A:ok', 'B:reorder_now', 'D:overstock']);
    expect(await d.listStaged('default')).toEqual([]);
  });

  it('publishes nothing when a shard is missing rows, or when one of the tables cannot be published: the previous result stays whole', async () => {
    const d = t.services.warehouse.derived;
    const forecast = await stage('stock__forecast', 'run-b');
    const plan = await stage('stock__plan', 'run-b');
    await d.write('default', forecast, { part: 0, attempt: 1 }, [['A', 'f']]);
    await d.write('default', plan, { part: 0, attempt: 1 }, [['A', 'new']]);
    const both = (planRows: number) => [
      { staging: forecast.staging, table: 'stock__forecast', runId: 'run-b', indexes: [], parts: [{ part: 0, attempt: 1, rows: 1 }] },
      { staging: plan.staging, table: 'stock__plan', runId: 'run-b', indexes: [], parts: [{ part: 0, attempt: 1, rows: planRows }] },
    ];
    // The plan's shard reported a row that is not there: neither table is replaced.
    const error = await d.publish('default', both(2)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'result_incomplete' });
    expect((error as Error).message).toMatch(/stock__plan: shard 0 \(try 1\) reported 2 rows but 1 are staged/);
    expect(await rowsOf('stock__plan')).toEqual(['A:ok', 'B:reorder_now', 'D:overstock']);
    const { db, schema } = await t.services.warehouse.location('default');
    const { rows } = await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [`"${schema}"."stock__forecast"`]);
    expect(rows[0]!.ok).toBe(false);
    // The counts right, both are replaced together.
    await d.publish('default', both(1));
    expect(await rowsOf('stock__plan')).toEqual(['A:new']);
    expect(await rowsOf('stock__forecast')).toEqual(['A:f']);
  });
});
