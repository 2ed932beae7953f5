/**
 * The Forecast tab as a new user meets it (issue 15, "Done when"), in
 * Debian's chromium through playwright-core against `sluice start` on a fresh
 * data directory: a sales-and-stock CSV uploaded with inventory=true and
 * nothing else set → the Forecasts page lists the table → its Forecast tab
 * shows the items to reorder first, a search, and the chart of an item
 * (history, forecast, band, projected stock, reorder point). Any console
 * error in the browser fails the test. Expects web/dist (`npm run build:web`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closePage, HAS_CHROMIUM, launchChromium, openPage, type BrowserPage } from './helpers/browser.js';
import { startSluice, type RunningSluice } from './helpers/cli.js';
import { inventoryCsv, type InventoryItem } from './helpers/inventory.js';

const ADMIN = { email: 'admin@sluice.local', password: 'admin-password-1' };


const weekly = [9, 10, 10, 11, 12, 14, 4];
const ITEMS: InventoryItem[] = [
  // About 10 a day, 15 in stock: out within the 7-day lead time.
  { sku: 'RUN-OUT', demand: (t) => weekly[t % 7]!, onHand: 15 },
  // About 10 a day, 180 in stock: weeks of cover.
  { sku: 'FINE', demand: (t) => weekly[(t + 1) % 7]!, onHand: 180 },
  { sku: 'PLENTY', demand: (t) => weekly[(t + 2) % 7]!, onHand: 5000 },
];

describe.runIf(HAS_CHROMIUM)('the Forecast tab in the web app', { timeout: 240_000 }, () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-forecast-web-'));
  let server: RunningSluice;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;

  beforeAll(async () => {
    server = await startSluice({ cwd, env: { SLUICE_ADMIN_PASSWORD: ADMIN.password, SLUICE_LOGIN_FAILURE_DELAY_MS: '0', SLUICE_FORECAST_THREADS: '1' } });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  beforeEach(async () => {
    session = await openPage(browser, { viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
    ({ page } = session);
  });
  afterEach(async (test) => {
    expect(await closePage(session, 'web-forecast', test.task.name), 'console errors in the browser').toEqual([]);
  });

  it('shows the plan of an upload with inventory=true: reorder_now first, a search, and the chart of an item', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    // The upload as a shop's export script sends it: the file and inventory=true, nothing else.
    const token = await page.evaluate<string | null>("localStorage.getItem('sluice.token')");
    const form = new FormData();
    form.set('table', 'stock');
    form.set('inventory', 'true');
    form.set('file', new Blob([inventoryCsv(ITEMS, 90, '2025-01-01')], { type: 'text/csv' }), 'stock.csv');
    const upload = await fetch(new URL('/api/files/', server.url), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(upload.status, await upload.clone().text()).toBe(201);

    // The Forecasts page lists the table once its plan is published: one item to reorder now.
    await page.getByRole('link', { name: 'Forecasts' }).click();
    await page.getByRole('heading', { name: 'Forecasts' }).waitFor();
    const list = page.getByTestId('forecasts-list');
    // (The header's 'Overstock' holds 'stock' too.)
    const row = list.getByRole('row', { name: /^stock/ });
    await expect.poll(() => row.textContent(), { timeout: 120_000 }).toMatch(/success/);
    await expect.poll(() => row.locator('td').allTextContents(), { timeout: 30_000 }).toEqual(['stock', expect.stringMatching(/success/), '3', '1', '1', '1', '0']);

    // The table's Forecast tab: the items to reorder first, with the progress of the run that made them.
    await row.getByRole('link', { name: 'stock' }).click();
    await page.getByRole('tab', { name: 'Forecast', selected: true }).waitFor();
    const tab = page.getByTestId('forecast-tab');
    await expect.poll(() => tab.getByTestId('forecast-progress').textContent()).toBe('3 of 3 items forecast');
    const plan = tab.getByTestId('forecast-plan');
    await expect.poll(() => plan.locator('tbody tr').count()).toBe(3);
    const first = plan.locator('tbody tr').first();
    expect(await first.locator('td').first().textContent()).toBe('RUN-OUT');
    expect(await first.textContent()).toContain('Reorder now');

    // The chart of the first item: history, forecast, band, projected stock, and the reorder point.
    const chart = tab.getByTestId('forecast-item-chart');
    await chart.getByRole('heading', { name: 'RUN-OUT' }).waitFor();
    await expect.poll(() => chart.locator('.recharts-line').count()).toBe(5);
    expect(await chart.locator('.recharts-reference-line').count()).toBe(1);
    expect(await chart.locator('svg').first().textContent()).toMatch(/Reorder point [\d,.]+/);
    expect(await chart.textContent()).toMatch(/On hand 15 · reorder point [\d,.]+ · order [\d,.]+ · runs out 2025-0\d-\d\d/);

    // The search narrows the plan; picking an item charts it.
    await tab.getByLabel('Search items').fill('plen');
    await expect.poll(() => plan.locator('tbody tr').count()).toBe(1);
    await plan.getByRole('button', { name: 'PLENTY' }).click();
    await chart.getByRole('heading', { name: 'PLENTY' }).waitFor();
    expect(await chart.textContent()).toContain('Overstock');

    // The settings show the columns detected from the file.
    const settings = tab.getByTestId('forecast-settings');
    await expect.poll(() => settings.getByRole('textbox', { name: /Quantity column/ }).inputValue()).toBe('units_sold');
    expect(await settings.getByText('detected').count()).toBeGreaterThanOrEqual(3);
  });
});
