import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunView } from '../src/engine/index.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { inventoryCsv, isoDay, type InventoryItem } from './helpers/inventory.js';
import { multipart } from './helpers/multipart.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * forecast_inventory_dag as a new user meets it: a sales-and-stock CSV
 * uploaded with inventory=true, and nothing else set, ends in a reorder
 * plan whose reorder_now items are the ones that run out within their lead
 * time; the settings show the columns detected; the trigger answers with
 * client_id; another organisation sees none of it.
 */
const DAYS = 120;
const START = '2025-01-01';
const LAST = isoDay(START, DAYS - 1);
const weekly = [9, 10, 10, 11, 12, 14, 4];
const ITEMS: InventoryItem[] = [
  // About 10 a day, 15 in stock: out in a day or two, well within the 7-day lead time.
  { sku: 'RUN-OUT', demand: (t) => weekly[t % 7]!, onHand: 15 },
  // About 10 a day, 50 in stock: out in about five days, still within the lead time.
  { sku: 'LOW', demand: (t) => weekly[(t + 3) % 7]!, onHand: 50 },
  // About 10 a day, 180 in stock: weeks of cover, no order yet.
  { sku: 'FINE', demand: (t) => weekly[(t + 1) % 7]!, onHand: 180 },
  // About 10 a day, 5,000 in stock: far more than an order cycle needs.
  { sku: 'TOO-MUCH', demand: (t) => weekly[(t + 2) % 7]!, onHand: 5000 },
  // Never sold.
  { sku: 'DEAD', demand: () => 0, onHand: 12 },
];

describeEachDatabase('forecast_inventory_dag', (fixture) => {
  let t: TestApp;
  let other: { token: string };
  let hooks: WebhookReceiver;
  const admin = () => bearer(t.adminToken);
  const get = async <T>(url: string, token = t.adminToken) => {
    const res = await t.app.inject({ method: 'GET', url, headers: bearer(token) });
    return { status: res.statusCode, body: res.json<T>(), raw: res.body };
  };
  const upload = (fields: Record<string, string>, content: string, name = 'sales.csv', token = t.adminToken) => {
    const body = multipart(fields, { name, content });
    return t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...bearer(token), ...body.headers }, payload: body.payload });
  };
  const ended = async (runId: string, timeoutMs = 120_000): Promise<RunView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = (await get<RunView>(`/api/runs/${encodeURIComponent(runId)}`)).body;
      if (['success', 'failed', 'cancelled'].includes(run.state)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not end: ${JSON.stringify(run.tasks.map((x) => [x.taskId, x.state]))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** The forecast run the load of an upload started: ingest → load → forecast. */
  const forecastOfUpload = async (ingestRunId: string): Promise<RunView> => {
    const ingest = await ended(ingestRunId);
    expect(ingest.state, JSON.stringify(ingest.tasks)).toBe('success');
    const loadRunId = ingest.tasks.find((x) => x.taskId === 'trigger_load')!.output!.dag_run_id as string;
    const load = await ended(loadRunId);
    expect(load.state, JSON.stringify(load.tasks)).toBe('success');
    const trigger = load.tasks.find((x) => x.taskId === 'trigger_forecast')!;
    expect(trigger.output).toMatchObject({ triggered: true, dag_id: 'forecast_inventory_dag' });
    return ended(trigger.output!.dag_run_id as string);
  };

  beforeAll(async () => {
    t = await createTestApp(fixture, { SLUICE_FORECAST_SHARDS: '3', SLUICE_FORECAST_THREADS: '2' });
    t.services.engine.start();
    other = await t.orgWithUser('forecast-other', 'admin');
    hooks = await startWebhookReceiver();
    const target = await t.app.inject({ method: 'POST', url: '/api/notifications', headers: admin(), payload: { kind: 'webhook', url: hooks.url } });
    expect(target.statusCode, target.body).toBe(201);
    expect(target.json<{ events: string[] }>().events).toContain('forecast.reorder');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await hooks?.close();
  });

  it('turns an upload with inventory=true into a plan whose reorder_now items run out within their lead time', async () => {
    const res = await upload({ table: 'sales', inventory: 'true' }, inventoryCsv(ITEMS, DAYS, START));
    expect(res.statusCode, res.body).toBe(201);
    const run = await forecastOfUpload(res.json<{ dag_run_id: string }>().dag_run_id);
    expect(run.state, JSON.stringify(run.tasks.map((x) => [x.taskId, x.state, x.error]))).toBe('success');
    expect(run.tasks.map((x) => x.taskId)).toEqual(['prepare', 'forecast_shard_1', 'forecast_shard_2', 'forecast_shard_3', 'publish', 'notify']);
    expect(run.conf).toMatchObject({ client_id: 'default', table: 'sales', triggered_by: 'enhanced_mongo_to_postgres_dag' });

    // The settings show what was detected, with nothing set by hand.
    const settings = await get<Record<string, unknown>>('/api/tables/sales/forecast');
    expect(settings.status).toBe(200);
    expect(settings.body).toMatchObject({ enabled: true, dateColumn: 'date', itemColumns: ['sku'], quantityColumn: 'units_sold', onHandColumn: 'on_hand', leadTimeDays: 7, serviceLevel: 0.95, issues: [], tableExists: true });
    expect(settings.body.detected).toEqual(expect.arrayContaining(['dateColumn', 'itemColumns', 'quantityColumn', 'onHandColumn']));

    const plan = await get<{ total: number; itemColumns: string[]; items: Record<string, unknown>[]; runId: string }>('/api/forecasts/sales/items');
    expect(plan.status, plan.raw).toBe(200);
    expect(plan.body).toMatchObject({ total: 5, itemColumns: ['sku'], runId: run.runId });
    const bySku = Object.fromEntries(plan.body.items.map((i) => [i.sku as string, i]));
    expect(bySku['RUN-OUT']).toMatchObject({ status: 'reorder_now', on_hand: 15 });
    expect(bySku.LOW).toMatchObject({ status: 'reorder_now' });
    expect(bySku.FINE!.status).toBe('ok');
    expect(bySku['TOO-MUCH']!.status).toBe('overstock');
    expect(bySku.DEAD!.status).toBe('no_demand');
    // reorder_now ⇔ runs out within the lead time (from the last day of history).
    const leadTimeEnd = isoDay(LAST, 7);
    for (const item of plan.body.items.filter((i) => i.status !== 'no_demand')) {
      const runsOut = item.stockout_date !== null && (item.stockout_date as string) <= leadTimeEnd;
      expect(item.status === 'reorder_now', `${String(item.sku)}: ${JSON.stringify(item)}`).toBe(runsOut);
      if (item.status === 'reorder_now') expect(item.order_quantity as number).toBeGreaterThan(0);
    }
    // Items to reorder first, the soonest stock-out first.
    expect(plan.body.items.slice(0, 2).map((i) => i.sku)).toEqual(['RUN-OUT', 'LOW']);
    expect((await get<{ total: number }>('/api/forecasts/sales/items?status=overstock')).body.total).toBe(1);
    expect((await get<{ items: { sku: string }[] }>('/api/forecasts/sales/items?q=too')).body.items.map((i) => i.sku)).toEqual(['TOO-MUCH']);
    expect((await get<{ items: { sku: string }[] }>('/api/forecasts/sales/items?orderBy=-on_hand&limit=1')).body.items.map((i) => i.sku)).toEqual(['TOO-MUCH']);
    expect((await get('/api/forecasts/sales/items?orderBy=nope')).status).toBe(400);

    // One item for a chart: its history, forecast and band, stock as forecast.
    const item = await get<{ history: { date: string; quantity: number }[]; forecast: { period: string; forecast: number; lower: number; upper: number }[]; projectedStock: { onHand: number }[]; plan: { reorder_point: number } }>('/api/forecasts/sales/items/RUN-OUT');
    expect(item.status, item.raw).toBe(200);
    expect(item.body.history).toHaveLength(DAYS);
    expect(item.body.history.at(-1)).toMatchObject({ date: LAST, quantity: ITEMS[0]!.demand(DAYS - 1) });
    expect(item.body.forecast).toHaveLength(28);
    expect(item.body.forecast[0]!.period).toBe(isoDay(LAST, 1));
    for (const f of item.body.forecast) expect(f.lower <= f.forecast && f.forecast <= f.upper).toBe(true);
    expect(item.body.projectedStock[0]!.onHand).toBeLessThan(15);
    expect((await get('/api/forecasts/sales/items/NO-SUCH-SKU')).status).toBe(404);

    // The summary per table.
    const list = await get<{ tables: { table: string; enabled: boolean; published: { items: number; counts: Record<string, number>; runId: string }; lastRun: { runId: string; state: string; itemsDone: number; itemsTotal: number } }[] }>('/api/forecasts');
    expect(list.body.tables).toHaveLength(1);
    expect(list.body.tables[0]).toMatchObject({
      table: 'sales',
      enabled: true,
      published: { items: 5, runId: run.runId, counts: { reorder_now: 2, ok: 1, overstock: 1, no_demand: 1, too_short: 0 } },
      lastRun: { runId: run.runId, state: 'success', itemsDone: 5, itemsTotal: 5 },
    });

    // Both result tables through the Data API, with the item column named as in the source.
    const rows = await get<{ rows: Record<string, unknown>[]; total: number }>('/api/tables/sales__plan/rows?orderBy=sku');
    expect(rows.status, rows.raw).toBe(200);
    expect(rows.body.total).toBe(5);
    expect(Object.keys(rows.body.rows[0]!)).toEqual(['sku', 'on_hand', 'demand_class', 'model', 'backtest_mase', 'avg_daily_demand', 'lead_time_days', 'lead_time_demand', 'safety_stock', 'reorder_point', 'order_quantity', 'stockout_date', 'days_of_cover', 'status', 'run_id']);
    const forecastRows = await get<{ rows: Record<string, unknown>[]; total: number }>('/api/tables/sales__forecast/rows?limit=1');
    expect(forecastRows.body.total).toBe(5 * 28);
    expect(Object.keys(forecastRows.body.rows[0]!)).toEqual(['sku', 'period', 'forecast', 'lower', 'upper', 'model', 'run_id']);
    expect((await get<{ total: number }>('/api/tables/sales__plan/rejected')).body.total).toBe(0);
    const tables = (await get<{ tables: { name: string }[] }>('/api/tables')).body.tables.map((x) => x.name);
    expect(tables).toEqual(expect.arrayContaining(['sales', 'sales__forecast', 'sales__plan']));

    // And from SQL, in the organisation's warehouse.
    const { db, schema } = await t.services.warehouse.location('default');
    const { rows: sql } = await db.query<{ run_id: string; n: string | number }>(`SELECT run_id, count(*) AS n FROM "${schema}"."sales__plan" GROUP BY run_id`);
    expect(sql.map((r) => [r.run_id, Number(r.n)])).toEqual([[run.runId, 5]]);

    // The reorder notification: the items at or below their reorder point, and their count.
    const reorder = hooks.received.map((h) => JSON.parse(h.body) as { event: string; reorder?: { table: string; count: number; items: { sku: string }[] } }).find((h) => h.event === 'forecast.reorder');
    expect(reorder?.reorder).toMatchObject({ table: 'sales', count: 2 });
    expect(reorder!.reorder!.items.map((i) => i.sku)).toEqual(['RUN-OUT', 'LOW']);
  }, 180_000);

  it('answers the trigger with client_id like the other triggers, refuses another organisation, and replaces the result whole', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/forecast-inventory/', headers: admin(), payload: { client_id: 'default' } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ dag_id: string; dag_run_id: string; state: string; conf: Record<string, unknown> }>();
    expect(body).toMatchObject({ dag_id: 'forecast_inventory_dag', conf: { client_id: 'default', triggered_by: 'api' } });
    const run = await ended(body.dag_run_id);
    expect(run.state, JSON.stringify(run.tasks.map((x) => [x.taskId, x.error]))).toBe('success');
    const { db, schema } = await t.services.warehouse.location('default');
    const { rows } = await db.query<{ run_id: string }>(`SELECT DISTINCT run_id FROM "${schema}"."sales__forecast"`);
    expect(rows.map((r) => r.run_id)).toEqual([run.runId]);

    const foreign = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/forecast-inventory/', headers: admin(), payload: { client_id: 'forecast-other' } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json<{ error: { code: string } }>().error.code).toBe('forbidden_org');
    await t.services.audit.flush();
    const audit = (await get<{ events: { action: string; outcome: string; errorCode: string | null }[] }>('/api/audit?action=pipeline.trigger_forecast')).body.events;
    expect(audit.some((e) => e.outcome !== 'success' && e.errorCode === 'forbidden_org')).toBe(true);

    // A table whose forecast is off, or one the organisation does not have.
    const off = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/forecast-inventory/', headers: bearer(other.token), payload: { client_id: 'forecast-other' } });
    expect(off.statusCode).toBe(409);
    expect(off.json<{ error: { code: string } }>().error.code).toBe('forecast_not_enabled');
    const missing = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/forecast-inventory/', headers: admin(), payload: { client_id: 'default', table: 'nope' } });
    expect(missing.statusCode).toBe(404);
  }, 120_000);

  it('shows another organisation none of it', async () => {
    expect((await get<{ tables: unknown[] }>('/api/forecasts', other.token)).body.tables).toEqual([]);
    for (const url of ['/api/forecasts/sales/items', '/api/forecasts/sales/items/RUN-OUT', '/api/tables/sales/forecast', '/api/tables/sales__plan/rows', '/api/tables/sales__forecast/rows']) {
      expect((await get(url, other.token)).status, url).toBe(404);
    }
    const put = await t.app.inject({ method: 'PUT', url: '/api/tables/sales/forecast', headers: bearer(other.token), payload: {} });
    expect(put.statusCode).toBe(404);
  });
});
