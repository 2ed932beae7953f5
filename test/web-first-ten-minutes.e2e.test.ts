/**
 * A new user's first ten minutes in the web app (issue 16, "Done when"), in
 * Debian's chromium through playwright-core against `sluice start` on a fresh
 * data directory: the empty dashboard → upload a file → its rows, rejected
 * rows and quality → connect a REST API (bearer token, cursor pagination; a
 * fake on loopback) → run it → its logs, complete → schedule it. Any console
 * error in the browser fails the test. Expects web/dist (`npm run build:web`).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import ExcelJS from 'exceljs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bytes } from '../web/src/lib/format.js';
import { closePage, HAS_CHROMIUM, launchChromium, openPage, type BrowserPage } from './helpers/browser.js';
import { startSluice, type RunningSluice } from './helpers/cli.js';

const ADMIN = { email: 'admin@sluice.local', password: 'admin-password-1' };
const API_TOKEN = 'walk-token';


/** A shop's REST API on 127.0.0.1: `/orders` wants `Authorization: Bearer walk-token` and pages with a cursor, 10 records a page. */
async function startShopApi(): Promise<{ url: string; close: () => Promise<void> }> {
  const orders = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, customer: `customer-${(i % 7) + 1}`, total: Number(((i + 1) * 3.5).toFixed(2)), placed_at: new Date(Date.UTC(2026, 0, 1 + i)).toISOString() }));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/orders') return send(404, { error: 'no such route' });
    if (req.headers.authorization !== `Bearer ${API_TOKEN}`) return send(401, { error: 'invalid token' });
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const next = start + 10 < orders.length ? String(start + 10) : null;
    return send(200, { data: orders.slice(start, start + 10), next });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.runIf(HAS_CHROMIUM)("a new user's first ten minutes in the web app", { timeout: 240_000 }, () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-walk-'));
  let server: RunningSluice;
  let shop: Awaited<ReturnType<typeof startShopApi>>;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;

  beforeAll(async () => {
    shop = await startShopApi();
    server = await startSluice({
      cwd,
      env: {
        SLUICE_ADMIN_PASSWORD: ADMIN.password,
        SLUICE_LOGIN_FAILURE_DELAY_MS: '0',
        SLUICE_HTTP_ALLOW_PRIVATE: 'true',
        // Small, so that a file too large for it is quick to make.
        SLUICE_MAX_UPLOAD_MB: '1',
      },
    });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await shop?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // The schedule's times below are read in the browser's time zone.
    session = await openPage(browser, { viewport: { width: 1280, height: 800 }, acceptDownloads: true, timezoneId: 'UTC' });
    ({ page } = session);
  });
  afterEach(async (test) => {
    expect(await closePage(session, 'web', test.task.name), 'console errors in the browser').toEqual([]);
  });

  const api = async (method: string, pathname: string, body?: unknown) => {
    const token = await page.evaluate<string | null>("localStorage.getItem('sluice.token')");
    const res = await fetch(new URL(pathname, server.url), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status, `${method} ${pathname}: ${await res.clone().text()}`).toBeLessThan(300);
    return res.json() as Promise<Record<string, unknown>>;
  };

  it('goes from an empty dashboard to a scheduled API connection, through a file, its rejected rows and its quality', async () => {
    // 1. The empty dashboard says where to start.
    await page.goto(server.url);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const steps = page.getByTestId('first-steps');
    await steps.getByRole('link', { name: 'Connect an API' }).waitFor();
    await steps.getByRole('link', { name: 'Upload a file' }).click();
    await page.waitForURL((url) => url.pathname === '/files');

    // 2. A file too large for this server is refused before a byte is sent.
    const uploads: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname.startsWith('/api/files')) uploads.push(request.url());
    });
    await page.getByText('CSV, TSV, JSON, NDJSON or Excel (.xlsx), up to 1 MB').waitFor();
    const big = path.join(cwd, 'everything.csv');
    writeFileSync(big, `id,text\n${Array.from({ length: 30_000 }, (_, i) => `${i},${'x'.repeat(45)}`).join('\n')}\n`);
    await page.locator('input[type=file]').setInputFiles(big);
    await page.getByText(/^everything\.csv is 1\.\d+ MB; this server takes files up to 1 MB\./).waitFor();
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByText(/^everything\.csv is 1\.\d+ MB/).waitFor();
    expect(uploads).toEqual([]);

    // 3. The real file, a spreadsheet as people have them: 40 orders, one quantity and one unit price that are
    // not numbers, notes on the last ten.
    const xlsx = path.join(cwd, 'orders.xlsx');
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: xlsx, useSharedStrings: true });
    const sheet = workbook.addWorksheet('Orders');
    sheet.addRow(['order_id', 'product', 'unit_price', 'quantity', 'note']).commit();
    for (let n = 1; n <= 40; n++) {
      sheet.addRow([n, `widget-${n}`, n === 23 ? 'cheap' : n * 1.25, n === 7 ? 'lots' : (n % 5) + 1, n > 30 ? `gift wrap ${n}` : null]).commit();
    }
    sheet.commit();
    await workbook.commit();
    await page.locator('input[type=file]').setInputFiles(xlsx);
    await expect.poll(() => page.getByLabel('Table').inputValue()).toBe('orders');
    await page.getByRole('button', { name: 'Upload' }).click();
    const chain = page.getByTestId('ingest-chain');
    await chain.getByRole('link', { name: 'Open table orders' }).waitFor({ timeout: 60_000 });
    await expect.poll(() => chain.textContent()).toMatch(/38 loaded · 2 rejected/);
    // Its size as a person reads it (7.39 KB, not 7566 bytes), as the app's one formatter writes it.
    const size = bytes(statSync(xlsx).size);
    expect(await chain.textContent()).toContain(size);
    // The list of uploads: its size as a person reads it, when, and a link to the table that now exists.
    const listed = page.getByTestId('uploaded-files').getByRole('row', { name: /orders\.xlsx/ });
    await listed.getByRole('link', { name: 'orders' }).waitFor();
    expect(await listed.textContent()).toMatch(new RegExp(`${size}.*\\d+ s ago`));

    // 4. The table: its rows, the rejected rows in row order with their fields in the file's order, a CSV of them.
    await chain.getByRole('link', { name: 'Open table orders' }).click();
    const rows = page.getByTestId('table-rows');
    await expect.poll(() => rows.locator('tbody tr').count()).toBe(38);
    await page.getByRole('tab', { name: /Rejected/ }).click();
    const rejected = page.getByTestId('rejected-rows');
    await expect.poll(() => rejected.getByTestId('rejected-where').allTextContents()).toEqual(['data row 7', 'data row 23']);
    const first = rejected.getByTestId('rejected-record').first();
    expect(await first.locator('[data-field]').evaluateAll((spans) => spans.map((s) => s.getAttribute('data-field')))).toEqual(['order_id', 'product', 'unit_price', 'quantity', 'note']);
    expect(await first.textContent()).toContain('quantity: lots');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download rejected rows as CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('orders__rejected.csv');
    const saved = readFileSync((await download.path())!, 'utf8');
    expect(saved.startsWith('\uFEFFrow_number,field,reason')).toBe(true);
    expect(saved.split('\n').filter((l) => /^\d+,/.test(l)).map((l) => l.split(',')[0])).toEqual(['7', '23']);

    // 5. Its quality: the load's counts, each column's empty share, the trend over loads.
    await page.getByRole('tab', { name: 'Quality' }).click();
    const latest = page.getByTestId('quality-latest');
    await latest.waitFor();
    expect(await latest.textContent()).toMatch(/38rows in the table.*38loaded by it.*2rejected \(5\.0 %\)/);
    const note = page.getByTestId('quality-empty-shares').getByRole('row', { name: /^note/ });
    expect(await note.textContent()).toBe('note74 %');
    await page.getByTestId('quality-trend').locator('.recharts-dot').first().waitFor();
    expect(await page.getByTestId('quality-trend').textContent()).toContain('1 load, oldest first.');

    // 6. Connect an API: bearer token, cursor pagination. Test shows why it stopped, in plain words.
    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('link', { name: 'New connection' }).click();
    await page.getByLabel(/^Name/).first().fill('Shop orders');
    await page.getByLabel(/^Id/).fill('shop-orders');
    await page.getByLabel(/^Base URL/).fill(`${shop.url}/orders`);
    await page.getByRole('group', { name: 'Authentication' }).getByLabel('Type').selectOption('bearer');
    await page.getByLabel(/^Token/).fill(API_TOKEN);
    await page.getByLabel('Pagination', { exact: true }).selectOption('cursor');
    await page.getByLabel(/^Next cursor/).fill('$.next');
    await page.getByLabel(/^Records path/).fill('$.data');
    await page.getByLabel(/^Table/).fill('shop_orders');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await expect.poll(() => page.getByTestId('preview-records').locator('tbody tr').count()).toBe(25);
    expect(await page.getByTestId('preview-stop-reason').textContent()).toBe(
      'Stopped because the answer had no next cursor at $.next: that was the last page. If the source has more, check the cursor path.',
    );
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/connections\/shop-orders$/);

    // 7. Run it: the run page follows it to its end, and its log until the log is complete.
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const logs = page.getByTestId('run-logs');
    await expect.poll(() => logs.getAttribute('data-complete'), { timeout: 90_000 }).toBe('true');
    const run = await api('GET', `/api/runs/${encodeURIComponent(runId)}`);
    expect(run.state).toBe('success');
    const stored = (await api('GET', `/api/runs/${encodeURIComponent(runId)}/logs`)) as { logs: { taskId: string; message: string }[] };
    const shown = ((await logs.textContent()) ?? '').split('\n');
    expect(shown).toHaveLength(stored.logs.length);
    for (const task of ['extract', 'load', 'health_check', 'send_notification']) expect(shown.some((l) => l.includes(`[${task}#1] finished`)), task).toBe(true);

    // 8. The connections list shows that latest run.
    await page.getByRole('link', { name: 'Connections' }).click();
    const connection = page.getByTestId('connections-list').getByRole('row', { name: /Shop orders/ });
    await expect.poll(() => connection.getByTestId('latest-run').textContent()).toMatch(/^success/);

    // 9. Schedule it: the description and the next runs follow the expression as it is typed, before saving.
    await connection.getByRole('link', { name: 'Shop orders' }).click();
    const schedule = page.getByTestId('schedule-editor');
    await schedule.getByText('Not scheduled').waitFor();
    expect(await schedule.getByLabel('Time zone').inputValue()).toBe('UTC');
    await schedule.getByLabel('CRON expression').fill('0 9 * * 1-5');
    await expect.poll(() => schedule.getByTestId('schedule-description').textContent()).toBe('At 09:00 AM, Monday through Friday');
    const next = await schedule.getByTestId('schedule-next-runs').locator('time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime')));
    expect(next).toHaveLength(5);
    for (const at of next) expect(new Date(at!).getUTCHours()).toBe(9);
    await schedule.getByRole('button', { name: 'Create schedule' }).click();
    await schedule.getByRole('button', { name: 'Pause' }).waitFor();
    expect(await schedule.getByTestId('schedule-description').textContent()).toBe('At 09:00 AM, Monday through Friday');
    await page.getByRole('link', { name: 'Schedules' }).click();
    await page.getByTestId('schedules-list').getByRole('link', { name: 'Shop orders' }).waitFor();

    // 10. Back on the dashboard: both tables, and no first steps any more.
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('table-card-shop_orders').waitFor();
    await page.getByTestId('table-card-orders').waitFor();
    expect(await page.getByTestId('first-steps').count()).toBe(0);
  });

  it('names a token by its name in the audit trail, cuts no badge, and serves /api/docs with no console error', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    // A script with its own API token does something.
    const { token } = (await api('POST', '/api/tokens', { name: 'nightly-script', role: 'editor' })) as { token: string };
    const asScript = (pathname: string, body: unknown) =>
      fetch(new URL(pathname, server.url), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // A long id makes long targets, which squeeze the other columns of the trail.
    const id = 'made-by-the-nightly-script-for-the-shop-orders-table';
    const created = await asScript('/api/connections', { id, name: 'Made by a script', apiConfig: { baseUrl: `${shop.url}/orders` } });
    expect(created.status, await created.clone().text()).toBe(201);
    expect((await asScript('/api/execute-run', { connectionId: id })).status).toBe(202);

    await page.getByRole('link', { name: 'Audit' }).click();
    const events = page.getByTestId('audit-events');
    const byScript = events.getByRole('row', { name: /connection\.create/ }).filter({ hasText: `connection:${id}` });
    await expect.poll(() => byScript.getByRole('cell').nth(1).textContent(), { timeout: 30_000 }).toBe('token nightly-script');
    // The first admin, made by the first start: its actor whole, not "system bootstra".
    await events.getByRole('row', { name: /system bootstrap/ }).first().waitFor();
    // Every badge shows its whole text ("success 201", not "SUCCESS …").
    const cut = await events.locator('.mantine-Badge-label').evaluateAll((labels) => labels.filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent));
    expect(cut).toEqual([]);
    expect(await events.locator('.mantine-Badge-label').count()).toBeGreaterThan(0);

    await page.goto(new URL('/api/docs', server.url).toString());
    await page.getByText('Sluice API').first().waitFor();
    await page.locator('.opblock-tag').first().waitFor();
  });
});
