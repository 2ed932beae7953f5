/**
 * The web app in a real browser: Debian's chromium (/usr/bin/chromium, installed
 * by .ci/run) driven by playwright-core against `sluice start` on a fresh data
 * directory. Expects web/dist (built by `npm install`/`npm ci` through the
 * `prepare` script, or `npm run build:web`). Each test saves a screenshot of its
 * last screen under .test-results/screenshots/ and fails on any console error.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSluice, type RunningSluice } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.SLUICE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, '.test-results', 'screenshots');
const ADMIN = { email: 'admin@sluice.local', password: 'admin-password-1' };
const VIEWER = { email: 'viewer@sluice.local', password: 'viewer-password-1' };

if (!existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) {
  throw new Error('web/dist is missing: run `npm install` (its prepare script builds the web app) or `npm run build:web`');
}
if (!existsSync(CHROMIUM)) {
  throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does)`);
}

describe('web app in chromium', { timeout: 120_000 }, () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-web-'));
  let server: RunningSluice;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let consoleErrors: string[];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startSluice({ cwd, env: { SLUICE_ADMIN_PASSWORD: ADMIN.password, SLUICE_LOGIN_FAILURE_DELAY_MS: '0' } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    consoleErrors = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });
  afterEach(async (test) => {
    const name = test.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    await page.screenshot({ path: path.join(SCREENSHOTS, `web-${name}.png`), fullPage: true }).catch(() => undefined);
    await context.close();
    expect(consoleErrors, 'console errors in the browser').toEqual([]);
  });

  const logIn = async (who: { email: string; password: string }) => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };

  it('shows the API error next to the login form on a wrong password', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('not-the-password');
    // The browser logs a failed request (401) as a console error; that one is expected here.
    const before = consoleErrors.length;
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/password/i);
    consoleErrors.splice(before);
  });

  it('uploads a CSV on the Files page and shows its rows and the rejected row with its reason', async () => {
    await logIn(ADMIN);
    await expect.poll(() => page.getByTestId('session-role').textContent()).toBe('admin');
    await page.getByRole('link', { name: 'Files' }).click();

    const csv = path.join(cwd, 'orders.csv');
    const good = Array.from({ length: 30 }, (_, i) => `${i + 1},widget-${i + 1},${i + 3}`);
    writeFileSync(csv, ['id,product,quantity', ...good.slice(0, 10), '11,widget-11,lots', ...good.slice(11)].join('\n') + '\n');
    await page.locator('input[type=file]').setInputFiles(csv);
    await expect.poll(() => page.getByLabel('Table').inputValue()).toBe('orders');
    await page.getByRole('button', { name: 'Upload' }).click();

    const chain = page.getByTestId('ingest-chain');
    await chain.getByRole('link', { name: 'Open table orders' }).waitFor({ timeout: 60_000 });
    await expect.poll(() => chain.textContent()).toMatch(/29 loaded · 1 rejected/);
    await chain.getByRole('link', { name: 'Open table orders' }).click();

    await page.getByRole('heading', { name: /orders/ }).waitFor();
    const rows = page.getByTestId('table-rows');
    await rows.waitFor();
    await expect.poll(() => rows.locator('tbody tr').count()).toBe(29);
    expect(await rows.textContent()).toContain('widget-30');

    await page.getByRole('tab', { name: /Rejected/ }).click();
    const rejected = page.getByTestId('rejected-rows');
    await rejected.waitFor();
    expect(await rejected.locator('tbody tr').count()).toBe(1);
    const text = (await rejected.textContent()) ?? '';
    expect(text).toContain('quantity');
    expect(text).toContain('lots');

    // The load run, its tasks and its logs.
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('radiogroup', { name: 'Filter by state' }).getByText('success', { exact: true }).click();
    await page.waitForURL(/state=success/);
    await page.getByRole('row', { name: /enhanced_mongo_to_postgres_dag/ }).getByRole('link').click();
    const tasks = page.getByTestId('run-tasks');
    await tasks.waitFor();
    expect(await tasks.textContent()).toMatch(/success/i);
    await page.getByTestId('run-logs').waitFor();

    // The dashboard knows the table too.
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('table-card-orders').waitFor();
    expect(await page.getByTestId('table-card-orders').textContent()).toMatch(/29\s*rows/);
  });

  it('shows a viewer the data but no upload', async () => {
    const login = await fetch(new URL('/api/auth/login', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const { token } = (await login.json()) as { token: string };
    const created = await fetch(new URL('/api/users', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...VIEWER, role: 'viewer' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);

    await logIn(VIEWER);
    await expect.poll(() => page.getByTestId('session-role').textContent()).toBe('viewer');
    await page.getByRole('link', { name: 'Files' }).click();
    await page.getByRole('heading', { name: 'Files', exact: true }).waitFor();
    await page.getByText('Viewers can see uploads but not add them').waitFor();
    expect(await page.getByRole('button', { name: 'Upload' }).count()).toBe(0);
    expect(await page.locator('input[type=file]').count()).toBe(0);

    await page.getByRole('link', { name: 'Tables' }).click();
    await page.getByRole('link', { name: 'orders' }).click();
    await page.getByTestId('table-rows').waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
  });
});
