// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { ForecastTab } from './forecast-tab';
import { chartPoints } from './item-chart';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  localStorage.clear();
});

const counts = { reorder_now: 1, ok: 1, overstock: 0, no_demand: 0, too_short: 0 };
const settings = {
  table: 'stock',
  enabled: true,
  dateColumn: 'date',
  itemColumns: ['sku'],
  quantityColumn: 'units_sold',
  onHandColumn: 'on_hand',
  leadTimeDays: 7,
  leadTimeColumn: null,
  serviceLevel: 0.95,
  reviewPeriodDays: 7,
  horizon: null,
  frequency: 'auto',
  schedule: null,
  detected: ['dateColumn', 'itemColumns', 'quantityColumn', 'onHandColumn'],
  issues: [],
  tableExists: true,
};
const planItem = (sku: string, status: string, extra: Record<string, unknown> = {}) => ({ key: sku, sku, status, on_hand: 15, reorder_point: 70, order_quantity: 125, stockout_date: '2025-04-03', days_of_cover: 1.5, model: 'ets', ...extra });
const forecasts = (state: string, itemsDone: number) => ({
  tables: [
    {
      table: 'stock',
      enabled: true,
      lastRun: { runId: 'run-2', state, trigger: 'manual', queuedAt: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:01.000Z', endedAt: null, error: null, itemsDone, itemsTotal: 2 },
      published: { table: 'stock', runId: 'run-1', publishedAt: '2026-01-01T00:00:00.000Z', items: 2, counts, settings: {} },
      issues: [],
    },
  ],
});
const item = (sku: string) => ({
  table: 'stock',
  key: sku,
  item: { sku },
  runId: 'run-1',
  plan: planItem(sku, sku === 'RUN-OUT' ? 'reorder_now' : 'ok'),
  history: [
    { date: '2025-03-30', quantity: 9, onHand: null },
    { date: '2025-03-31', quantity: 11, onHand: 15 },
  ],
  forecast: [{ period: '2025-04-01', forecast: 10, lower: 7, upper: 13 }],
  projectedStock: [{ period: '2025-04-01', onHand: 5 }],
});

function stubApi() {
  const api = fakeApi({
    'GET /api/auth/me': me('editor'),
    'GET /api/forecasts': (_r, call) => (call === 1 ? forecasts('running', 1) : forecasts('running', 2)),
    'GET /api/tables/stock/forecast': settings,
    'GET /api/forecasts/stock/items': (request) => {
      const q = new URL(request.url).searchParams.get('q');
      const items = [planItem('RUN-OUT', 'reorder_now'), planItem('FINE', 'ok', { stockout_date: '2025-05-01' })].filter((i) => !q || i.sku.toLowerCase().includes(q));
      return { table: 'stock', runId: 'run-1', publishedAt: '2026-01-01T00:00:00.000Z', itemColumns: ['sku'], total: items.length, items };
    },
    'GET /api/forecasts/stock/items/RUN-OUT': item('RUN-OUT'),
    'GET /api/forecasts/stock/items/FINE': item('FINE'),
    'POST /api/airflow/trigger/forecast-inventory/': { dag_id: 'forecast_inventory_dag', dag_run_id: 'run-3', state: 'queued', conf: {} },
  });
  vi.stubGlobal('fetch', api.fetch);
  return api;
}

describe('ForecastTab', () => {
  it('shows the plan reorder-first, charts the first item, searches, and follows the running forecast', { timeout: 60_000 }, async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = stubApi();
    renderWithApp(<ForecastTab table="stock" columns={['date', 'sku', 'units_sold', 'on_hand']} />);
    // Generous waits: the machine running the tests may be busy.
    const wait = { timeout: 10_000 };
    const plan = await screen.findByTestId('forecast-plan', {}, wait);
    const rows = await within(plan).findAllByRole('row', {}, wait);
    expect(rows.slice(1).map((r) => within(r).getAllByRole('cell')[0]!.textContent)).toEqual(['RUN-OUT', 'FINE']);
    expect(rows[1]!.textContent).toContain('Reorder now');
    // The first item is charted, with its plan's figures.
    const chart = await screen.findByTestId('forecast-item-chart', {}, wait);
    expect(await within(chart).findByText(/On hand 15 · reorder point 70 · order 125 · runs out 2025-04-03/, {}, wait)).toBeTruthy();
    // A run is on: its progress shows, and Run forecast waits for it.
    expect((await screen.findByTestId('forecast-progress', {}, wait)).textContent).toMatch(/[12] of 2 items forecast/);
    expect(screen.getByRole('button', { name: 'Run forecast' }).hasAttribute('disabled')).toBe(true);
    // The settings mark the detected columns.
    expect(within(screen.getByTestId('forecast-settings')).getAllByText('detected')).toHaveLength(4);

    // Searching asks the API for the items that match.
    await userEvent.type(screen.getByLabelText('Search items'), 'fin');
    await waitFor(() => expect(within(plan).getAllByRole('row')).toHaveLength(2), wait);
    expect(api.requests.some((r) => r.url.includes('/api/forecasts/stock/items?') && new URL(r.url).searchParams.get('q') === 'fin')).toBe(true);
    await userEvent.click(within(plan).getByRole('button', { name: 'FINE' }));
    await waitFor(() => expect(api.requests.some((r) => new URL(r.url).pathname === '/api/forecasts/stock/items/FINE')).toBe(true), wait);
  });

  it('puts history, forecast, band and projected stock on one time line', () => {
    expect(chartPoints(item('RUN-OUT'))).toEqual([
      { date: '2025-03-30', sold: 9 },
      { date: '2025-03-31', sold: 11 },
      { date: '2025-04-01', forecast: 10, lower: 7, upper: 13, stock: 5 },
    ]);
  });
});
