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

  it('takes messy history as it comes: returns, duplicate rows, one-row and all-zero items, several date formats; loses no row', async () => {
    // 60 days from 1 March 2025, each date written in one of three formats (ISO, day-first numeric, day and month name).
    const DAYS2 = 60;
    const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun'];
    const written = (t: number) => {
      const iso = isoDay('2025-03-01', t);
      const [y, m, d] = iso.split('-');
      return [iso, `${d}/${m}/${y}`, `${Number(d)} ${MONTHS[Number(m) - 1]} ${y}`][t % 3]!;
    };
    const lines = ['date,sku,units_sold,on_hand'];
    for (let t = 0; t < DAYS2; t++) {
      const last = t === DAYS2 - 1;
      lines.push(`${written(t)},RET,10,${last ? 100 : ''}`);
      // A return every ten days: 4 units back, netted against the day's 10.
      if (t % 10 === 5) lines.push(`${written(t)},RET,-4,`);
      // Every sale written twice (5 + 5): the day's demand is their sum.
      lines.push(`${written(t)},DUP,5,`, `${written(t)},DUP,5,${last ? 100 : ''}`);
      lines.push(`${written(t)},ZERO,0,${last ? 10 : ''}`);
    }
    lines.push(`${written(DAYS2 - 1)},ONE,3,5`);
    lines.push('someday,RET,7,');
    const res = await upload({ table: 'messy', inventory: 'true' }, `${lines.join('\n')}\n`, 'messy.csv');
    expect(res.statusCode, res.body).toBe(201);
    const run = await forecastOfUpload(res.json<{ dag_run_id: string }>().dag_run_id);
    expect(run.state, JSON.stringify(run.tasks.map((x) => [x.taskId, x.state, x.error]))).toBe('success');

    // Every row stays in the table, the unreadable date too.
    expect((await get<{ total: number }>('/api/tables/messy/rows?limit=1')).body.total).toBe(lines.length - 1);
    const plan = (await get<{ items: { sku: string; status: string }[] }>('/api/forecasts/messy/items')).body.items;
    const status = Object.fromEntries(plan.map((i) => [i.sku, i.status]));
    expect(status.ONE).toBe('too_short');
    expect(status.ZERO).toBe('no_demand');
    expect(['reorder_now', 'ok', 'overstock']).toContain(status.RET);
    expect(['reorder_now', 'ok', 'overstock']).toContain(status.DUP);

    // Every date format read: 60 consecutive days per item, duplicates summed, returns netted.
    const days = Array.from({ length: DAYS2 }, (_, t) => isoDay('2025-03-01', t));
    const dup = (await get<{ history: { date: string; quantity: number }[] }>('/api/forecasts/messy/items/DUP')).body.history;
    expect(dup.map((h) => h.date)).toEqual(days);
    expect(new Set(dup.map((h) => h.quantity))).toEqual(new Set([10]));
    const ret = (await get<{ history: { date: string; quantity: number }[] }>('/api/forecasts/messy/items/RET')).body.history;
    expect(ret.map((h) => h.date)).toEqual(days);
    expect(ret.map((h) => h.quantity)).toEqual(days.map((_, t) => (t % 10 === 5 ? 6 : 10)));
    const one = (await get<{ history: { date: string; quantity: number }[]; forecast: unknown[] }>('/api/forecasts/messy/items/ONE')).body;
    expect(one.history).toEqual([expect.objectContaining({ date: days.at(-1), quantity: 3 })]);

    // What the run counted, for the user to see (a return shares its item and day with that day's sale: a duplicate too).
    const summary = (await get<{ tables: { table: string; published: { settings: { returns: number; duplicates: number; skipped: { badDate: number; noDate: number; noQuantity: number } } } }[] }>('/api/forecasts')).body.tables.find(
      (x) => x.table === 'messy',
    )!;
    expect(summary.published.settings).toMatchObject({ returns: 6, duplicates: DAYS2 + 6, skipped: { badDate: 1, noDate: 0, noQuantity: 0 } });
  }, 180_000);

  it('refuses a table without a usable date or quantity column with 422 naming the setting, and keeps its rows', async () => {
    const res = await upload({ table: 'labels', inventory: 'true' }, 'sku,colour\nA,red\nB,blue\n', 'labels.csv');
    expect(res.statusCode, res.body).toBe(201);
    const ingest = await ended(res.json<{ dag_run_id: string }>().dag_run_id);
    const loadRunId = ingest.tasks.find((x) => x.taskId === 'trigger_load')!.output!.dag_run_id as string;
    const load = await ended(loadRunId);
    expect(load.state, JSON.stringify(load.tasks)).toBe('success');
    expect((await get<{ total: number }>('/api/tables/labels/rows?limit=1')).body.total).toBe(2);
    // The forecast the load started fails with the reason, naming both settings.
    const forecastRun = await ended(load.tasks.find((x) => x.taskId === 'trigger_forecast')!.output!.dag_run_id as string);
    expect(forecastRun.state).toBe('failed');
    expect(forecastRun.tasks.find((x) => x.taskId === 'prepare')!.error).toMatch(/dateColumn.*quantityColumn/);

    const settings = (await get<{ issues: { field: string }[]; dateColumn: string | null; quantityColumn: string | null }>('/api/tables/labels/forecast')).body;
    expect(settings).toMatchObject({ dateColumn: null, quantityColumn: null });
    expect(settings.issues.map((i) => i.field)).toEqual(expect.arrayContaining(['dateColumn', 'quantityColumn']));

    const put = await t.app.inject({ method: 'PUT', url: '/api/tables/labels/forecast', headers: admin(), payload: {} });
    expect(put.statusCode).toBe(422);
    const error = put.json<{ error: { code: string; message: string; details: { issues: { field: string }[] } } }>().error;
    expect(error.code).toBe('forecast_column_invalid');
    expect(error.details.issues.map((i) => i.field)).toEqual(expect.arrayContaining(['dateColumn', 'quantityColumn']));
    const named = await t.app.inject({ method: 'PUT', url: '/api/tables/labels/forecast', headers: admin(), payload: { dateColumn: 'shipped_on' } });
    expect(named.statusCode).toBe(422);
    expect(named.json<{ error: { message: string } }>().error.message).toMatch(/dateColumn: the table has no column "shipped_on"/);

    // The trigger for that table says so at once instead of starting a run bound to fail.
    const trigger = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/forecast-inventory/', headers: admin(), payload: { client_id: 'default', table: 'labels' } });
    expect(trigger.statusCode, trigger.body).toBe(422);
    expect(trigger.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'forecast_column_invalid', message: expect.stringContaining('quantityColumn') });
  }, 120_000);

  it('refuses text in the quantity column with 422 naming quantityColumn', async () => {
    const res = await upload({ table: 'counted' }, 'date,sku,qty\n2025-01-01,A,a few\n2025-01-02,A,many\n2025-01-03,A,lots\n', 'counted.csv');
    expect(res.statusCode, res.body).toBe(201);
    const ingest = await ended(res.json<{ dag_run_id: string }>().dag_run_id);
    await ended(ingest.tasks.find((x) => x.taskId === 'trigger_load')!.output!.dag_run_id as string);
    const put = await t.app.inject({ method: 'PUT', url: '/api/tables/counted/forecast', headers: admin(), payload: { quantityColumn: 'qty' } });
    expect(put.statusCode, put.body).toBe(422);
    const error = put.json<{ error: { code: string; message: string; details: { issues: { field: string; message: string }[] } } }>().error;
    expect(error.code).toBe('forecast_column_invalid');
    expect(error.details.issues).toEqual([{ field: 'quantityColumn', message: 'column "qty" holds text, not numbers: the quantity must be a numeric column' }]);
    // Nothing was saved: the forecast stays off.
    expect((await get<{ enabled: boolean }>('/api/tables/counted/forecast')).body.enabled).toBe(false);
  }, 60_000);

  it('shows another organisation none of it', async () => {
    expect((await get<{ tables: unknown[] }>('/api/forecasts', other.token)).body.tables).toEqual([]);
    for (const url of ['/api/forecasts/sales/items', '/api/forecasts/sales/items/RUN-OUT', '/api/tables/sales/forecast', '/api/tables/sales__plan/rows', '/api/tables/sales__forecast/rows']) {
      expect((await get(url, other.token)).status, url).toBe(404);
    }
    const put = await t.app.inject({ method: 'PUT', url: '/api/tables/sales/forecast', headers: bearer(other.token), payload: {} });
    expect(put.statusCode).toBe(404);

    // Nor can it start one: not with the other's client_id (403, audited), nor by naming the other's table.
    const before = (await get<{ total: number }>('/api/forecasts/sales/items')).body;
    const foreign = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/forecast-inventory/', headers: bearer(other.token), payload: { client_id: 'default', table: 'sales' } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json<{ error: { code: string } }>().error.code).toBe('forbidden_org');
    const named = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/forecast-inventory/', headers: bearer(other.token), payload: { client_id: 'forecast-other', table: 'sales' } });
    expect(named.statusCode).toBe(404);
    await t.services.audit.flush();
    const audit = (await get<{ events: { action: string; outcome: string; errorCode: string | null }[] }>('/api/audit?action=pipeline.trigger_forecast', other.token)).body.events;
    expect(audit.filter((e) => e.errorCode === 'forbidden_org')).toHaveLength(1);
    // And no run of the other organisation forecast the first one's table.
    const runs = (await get<{ runs: { dagId: string }[] }>('/api/runs?dagId=forecast_inventory_dag', other.token)).body.runs;
    expect(runs).toEqual([]);
    expect((await get<{ total: number }>('/api/forecasts/sales/items')).body).toEqual(before);
  });
});
