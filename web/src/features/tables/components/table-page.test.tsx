// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { fieldsInOrder, whereOf } from './rejected-rows';
import { TablePage } from './table-page';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  localStorage.clear();
});

const orders = {
  name: 'orders',
  rowCount: 29,
  rejectedCount: 2,
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'product', type: 'string' },
    { name: 'unit_price', type: 'number' },
    { name: 'quantity', type: 'integer' },
  ],
  updatedAt: '2026-01-01T00:00:00.000Z',
};
// As PostgreSQL's jsonb gives a record back: its keys no longer in the file's order.
const rejected = [
  { raw: { id: '11', product: 'widget-11', quantity: 'lots', 'Unit Price': '2.5' }, field: 'quantity', reason: 'not an integer: "lots"', runId: 'load-1', sourceId: 'file-1', rowNumber: 11, rejectedAt: '2026-01-01T00:00:00.000Z' },
  { raw: { id: 'x' }, field: 'id', reason: 'not an integer: "x"', runId: 'run-7', sourceId: 'run-7', rowNumber: 3, rejectedAt: '2026-01-01T00:00:00.000Z' },
];
const report = (id: number, createdAt: string, metrics: Record<string, unknown>) => ({ id, table: 'orders', runId: `load-${id}`, createdAt, metrics: { table: 'orders', runId: `load-${id}`, primaryKey: ['id'], ...metrics } });

function stubApi() {
  const api = fakeApi({
    'GET /api/auth/me': me('viewer'),
    'GET /api/tables': { tables: [orders] },
    'GET /api/tables/orders/rows': { rows: [{ id: 1, product: 'widget-1', unit_price: 2.5, quantity: 3 }], total: 29 },
    'GET /api/tables/orders/rejected': { rows: rejected, total: 2 },
    'GET /api/tables/orders/quality': {
      table: 'orders',
      days: 30,
      reports: [
        report(2, '2026-01-02T00:00:00.000Z', { rows: 29, loaded: 29, rejected: 1, nullRate: { quantity: 0, unit_price: 0.25, id: 0, product: 0.034 }, duplicateKeys: 2 }),
        report(1, '2026-01-01T00:00:00.000Z', { rows: 10, loaded: 10, rejected: 0, nullRate: { id: 0 }, duplicateKeys: 0 }),
      ],
    },
  });
  vi.stubGlobal('fetch', api.fetch);
  return api;
}

describe('TablePage', () => {
  it("shows rejected rows with where they came from and each record's fields in the file's column order", async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    stubApi();
    renderWithApp(<TablePage name="orders" />);
    await userEvent.click(await screen.findByRole('tab', { name: /Rejected/ }));
    const table = await screen.findByTestId('rejected-rows');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByTestId('rejected-where').textContent)).toEqual(['data row 11', 'record 3 of the run']);
    const record = within(rows[0]!).getByTestId('rejected-record');
    expect(record.textContent).toBe('id: 11 · product: widget-11 · Unit Price: 2.5 · quantity: lots');
    expect(record.querySelector('[data-field="quantity"]')?.getAttribute('style') ?? '').toMatch(/font-weight: 700/);
    expect(screen.getByTestId('rejected-legend').textContent).toMatch(/Data row N is the file's Nth record, counted from 1 after its header row/);
  });

  it('shows the Quality tab: the latest load, the empty share per column, duplicate keys and the trend', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = stubApi();
    renderWithApp(<TablePage name="orders" />);
    await userEvent.click(await screen.findByRole('tab', { name: 'Quality' }));
    const latest = await screen.findByTestId('quality-latest');
    expect(latest.textContent).toContain('29rows in the table');
    expect(latest.textContent).toContain('1rejected (3.3 %)');
    expect(latest.textContent).toContain('2duplicate keys (id)');
    const shares = within(screen.getByTestId('quality-empty-shares')).getAllByRole('row').map((r) => r.textContent);
    expect(shares).toEqual(['id0 %', 'product3.4 %', 'unit_price25 %', 'quantity0 %']);
    expect(await within(screen.getByTestId('quality-trend')).findByText('2 loads, oldest first.', {}, { timeout: 10_000 })).toBeTruthy();
    expect(api.requests.some((r) => r.url.endsWith('/api/tables/orders/quality?days=30'))).toBe(true);
  });

  it('downloads the table as CSV with the bearer token, asking for a byte-order mark for Excel', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = stubApi();
    const exported: Request[] = [];
    const fetch = api.fetch;
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(input, init);
      if (!new URL(request.url).pathname.endsWith('/export')) return fetch(request);
      exported.push(request);
      return new Response('\uFEFFid,product\n1,widget-1\n', { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="orders.csv"' } });
    });
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:orders'), revokeObjectURL: vi.fn() }));
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    renderWithApp(<TablePage name="orders" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Download as CSV' }));
    await vi.waitFor(() => expect(clicked).toHaveLength(1));
    const url = new URL(exported[0]!.url);
    expect(url.pathname).toBe('/api/tables/orders/export');
    expect(Object.fromEntries(url.searchParams)).toEqual({ format: 'csv', part: 'rows', bom: 'true' });
    expect(exported[0]!.headers.get('authorization')).toBe('Bearer slk_test');
    expect(clicked[0]!.download).toBe('orders.csv');
    expect(clicked[0]!.href).toBe('blob:orders');

    await userEvent.click(screen.getByRole('tab', { name: /Rejected/ }));
    await userEvent.click(await screen.findByRole('button', { name: 'Download rejected rows as CSV' }));
    await vi.waitFor(() => expect(exported).toHaveLength(2));
    expect(new URL(exported[1]!.url).searchParams.get('part')).toBe('rejected');
  });

  it('orders fields the table has no column for last, as they came', () => {
    expect(fieldsInOrder({ z: 1, 'Unit Price': 2, extra: 3, id: 4 }, ['id', 'unit_price', 'z']).map(([k]) => k)).toEqual(['id', 'Unit Price', 'z', 'extra']);
    expect(whereOf({ rowNumber: null, runId: 'r', sourceId: 'f' })).toBe('—');
  });
});
