/**
 * The web app in a real browser: Debian's chromium (/usr/bin/chromium, installed
 * by .ci/run) driven by playwright-core against `sluice start` on a fresh data
 * directory. Expects web/dist (built by `npm install`/`npm ci` through the
 * `prepare` script, or `npm run build:web`). Each test saves a screenshot of its
 * last screen under .test-results/screenshots/ and fails on any console error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closePage, HAS_CHROMIUM, launchChromium, openPage, SCREENSHOTS, type BrowserPage } from './helpers/browser.js';
import { startSluice, type RunningSluice } from './helpers/cli.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';

const ADMIN = { email: 'admin@sluice.local', password: 'admin-password-1' };
const VIEWER = { email: 'viewer@sluice.local', password: 'viewer-password-1' };


describe.runIf(HAS_CHROMIUM)('web app in chromium', { timeout: 120_000 }, () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-web-'));
  let server: RunningSluice;
  let browser: Browser;
  let session: BrowserPage;
  let page: Page;
  let consoleErrors: string[];
  // A third-party REST API on 127.0.0.1 for the connection builder; the server allows private addresses for it.
  let fakeApi: FakeApi;

  beforeAll(async () => {
    fakeApi = await startFakeApi();
    server = await startSluice({
      cwd,
      env: { SLUICE_ADMIN_PASSWORD: ADMIN.password, SLUICE_LOGIN_FAILURE_DELAY_MS: '0', SLUICE_HTTP_ALLOW_PRIVATE: 'true' },
    });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await fakeApi?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  beforeEach(async () => {
    session = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    ({ page, consoleErrors } = session);
  });
  afterEach(async (test) => {
    expect(await closePage(session, 'web', test.task.name), 'console errors in the browser').toEqual([]);
  });

  const logIn = async (who: { email: string; password: string }) => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };

  /** A bearer token of `who`, for setting things up through the API. */
  const tokenOf = async (who: { email: string; password: string }) => {
    const login = await fetch(new URL('/api/auth/login', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(who),
    });
    expect(login.status, await login.clone().text()).toBe(200);
    return ((await login.json()) as { token: string }).token;
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

  it('builds a connection to a REST API, tests it, saves it, runs it and schedules it daily', async () => {
    await logIn(ADMIN);
    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('link', { name: 'New connection' }).click();
    await page.getByRole('heading', { name: /New connection/ }).waitFor();

    await page.getByLabel(/^Name/).fill('Fake users');
    await page.getByLabel(/^Id/).fill('fake-users');
    await page.getByLabel(/^Base URL/).fill(`${fakeApi.url}/users`);
    await page.getByLabel(/^Table/).fill('api_users');

    // Test: the first records mapped, the inferred schema fills the mapping editor.
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const records = page.getByTestId('preview-records');
    await records.waitFor();
    await expect.poll(() => records.locator('tbody tr').count()).toBe(23);
    expect(await records.textContent()).toContain('user23@example.com');
    await expect.poll(() => page.getByLabel('Source of mapping 1').inputValue()).toBe('$.id');
    expect(await page.getByLabel('Type of mapping 1').inputValue()).toBe('integer');
    await page.getByRole('tab', { name: 'Requests' }).click();
    expect(await page.getByTestId('preview-requests').textContent()).toContain('/users');

    // Save, then run it now: the run page, then the table's rows.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/connections\/fake-users$/);
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => page.getByTestId('run-tasks').textContent(), { timeout: 60_000 }).toMatch(/success/i);
    // The run has ended once its log is complete (a task's "success" alone may be the first task's).
    await expect.poll(() => page.getByTestId('run-logs').getAttribute('data-complete'), { timeout: 60_000 }).toBe('true');
    // The tasks' table comes from another query than the log: it may show the end a poll later.
    await expect
      .poll(() => page.getByTestId('run-tasks').locator('tbody tr').evaluateAll((rows) => rows.every((r) => /success/i.test(r.textContent ?? ''))), { timeout: 30_000 })
      .toBe(true);

    await page.getByRole('link', { name: 'Tables' }).click();
    await page.getByRole('link', { name: 'api_users' }).click();
    const rows = page.getByTestId('table-rows');
    await rows.waitFor();
    await expect.poll(() => rows.locator('tbody tr').count()).toBe(23);
    expect(await rows.textContent()).toContain('user23@example.com');

    // Schedule it daily: the plain-language description and the next five runs.
    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('link', { name: 'Fake users' }).click();
    const schedule = page.getByTestId('schedule-editor');
    await schedule.getByText('Not scheduled').waitFor();
    await schedule.getByText('Daily', { exact: true }).click();
    await schedule.getByRole('button', { name: 'Create schedule' }).click();
    const nextRuns = page.getByTestId('schedule-next-runs');
    await nextRuns.waitFor();
    expect(await nextRuns.locator('li').count()).toBe(5);
    expect((await page.getByTestId('schedule-description').textContent())?.length).toBeGreaterThan(0);
    await schedule.getByRole('button', { name: 'Pause' }).waitFor();

    await page.getByRole('link', { name: 'Schedules' }).click();
    // The list names the connection as its owner named it.
    await page.getByTestId('schedules-list').getByRole('link', { name: 'Fake users' }).waitFor();
    await page.getByTestId('schedules-list').getByRole('link', { name: 'Fake users' }).click();
    await page.getByTestId('schedule-next-runs').waitFor();
  });

  it('names the fields of a refused connection in the alert and brings the first into view', async () => {
    await logIn(ADMIN);
    await page.goto(new URL('/connections/new', server.url).toString());
    await page.getByLabel(/^Name/).first().fill('Refused');
    await page.getByLabel(/^Base URL/).fill(`${fakeApi.url}/users`);
    await page.getByLabel(/^Table/).fill('1-not-a-table');
    // The browser logs the 422 as a failed request; that one is expected here.
    const before = consoleErrors.length;
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.getByTestId('builder-problem');
    await expect.poll(() => alert.textContent()).toMatch(/A field needs a change.*Check Table/);
    consoleErrors.splice(before);
    // The Table field is far below the top of the form: it scrolled into view and has the focus.
    const table = page.getByLabel(/^Table/);
    await expect.poll(() => table.evaluate((e) => e === e.ownerDocument.activeElement)).toBe(true);
    await expect.poll(async () => {
      const box = await table.boundingBox();
      return box !== null && box.y >= 0 && box.y + box.height <= page.viewportSize()!.height;
    }).toBe(true);
    expect(await table.getAttribute('aria-invalid')).toBe('true');
  });

  it('shows a viewer the connection and its schedule but no Test, Save, Run now or Delete', async () => {
    // Uses the connection and schedule the test above made.
    const viewer = { email: 'connections-viewer@sluice.local', password: 'viewer-password-2' };
    const created = await fetch(new URL('/api/users', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenOf(ADMIN)}` },
      body: JSON.stringify({ ...viewer, role: 'viewer' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);

    await logIn(viewer);
    await expect.poll(() => page.getByTestId('session-role').textContent()).toBe('viewer');
    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByTestId('connections-list').waitFor();
    expect(await page.getByRole('link', { name: 'New connection' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Fake users' }).click();
    await page.getByTestId('schedule-next-runs').waitFor();
    expect(await page.getByLabel(/^Base URL/).inputValue()).toContain('/users');
    for (const name of ['Test', 'Save changes', 'Run now', 'Delete', 'Create schedule', 'Save schedule', 'Pause', 'Delete schedule']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
  });

  it('creates an API token in Settings, shows it once, and lists its creation in the audit trail', async () => {
    await logIn(ADMIN);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByRole('tab', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('e2e-script');
    await page.getByRole('button', { name: 'Create token' }).click();

    const dialog = page.getByRole('dialog', { name: 'Your new API token' });
    await dialog.waitFor();
    const secret = ((await page.getByTestId('secret-once').textContent()) ?? '').trim();
    expect(secret.length).toBeGreaterThan(20);
    await dialog.getByRole('button', { name: 'Copy' }).waitFor();
    // The token works: the API takes it.
    const me = await fetch(new URL('/api/auth/me', server.url), { headers: { authorization: `Bearer ${secret}` } });
    expect(me.status).toBe(200);

    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const tokens = page.getByTestId('tokens');
    await expect.poll(() => tokens.textContent()).toContain('e2e-script');
    expect(await page.locator('body').textContent()).not.toContain(secret);
    // Never again, not even after a reload.
    await page.reload();
    await page.getByTestId('tokens').waitFor();
    expect(await page.locator('body').textContent()).not.toContain(secret);

    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    const events = page.getByTestId('audit-events');
    await events.getByRole('row', { name: /token\.create/ }).first().waitFor();
    await page.getByRole('textbox', { name: 'Action' }).fill('token.');
    await expect.poll(async () => (await events.locator('tbody tr').allTextContents()).every((row) => row.includes('token.'))).toBe(true);
    expect(await events.getByRole('row', { name: /token\.create.*success/ }).count()).toBeGreaterThan(0);
  });

  it('shows a run as a DAG graph coloured by task state, whose nodes pick the logs', async () => {
    const token = await tokenOf(ADMIN);
    const form = new FormData();
    form.append('table', 'graph_demo');
    form.append('file', new Blob(['id,name\n1,a\n2,b\n'], { type: 'text/csv' }), 'graph_demo.csv');
    const uploaded = await fetch(new URL('/api/files/', server.url), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const { dag_run_id: runId } = (await uploaded.json()) as { dag_run_id: string };

    await logIn(ADMIN);
    await page.goto(new URL(`/runs/${encodeURIComponent(runId)}`, server.url).toString());
    const graph = page.getByTestId('run-graph');
    await graph.waitFor();
    const nodes = graph.locator('[data-testid^="dag-node-"]');
    const tasks = page.getByTestId('run-tasks').locator('tbody tr');
    await expect.poll(() => nodes.count()).toBeGreaterThan(1);
    expect(await nodes.count()).toBe(await tasks.count());
    // Live: the graph follows the run to its end, every node green.
    await expect.poll(async () => (await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-color')))).every((c) => c === 'green'), { timeout: 60_000 }).toBe(true);
    expect(await graph.locator('.react-flow__edge').count()).toBeGreaterThan(0);

    const first = nodes.first();
    const taskId = ((await first.getAttribute('data-testid')) ?? '').replace('dag-node-', '');
    await first.click();
    await expect.poll(() => page.getByRole('textbox', { name: 'Task', exact: true }).inputValue()).toBe(taskId);
    await expect.poll(() => page.getByTestId('run-logs').textContent()).toContain(`[${taskId}#`);

    // The table page charts the rows each load run of the table brought.
    await page.goto(new URL('/tables/graph_demo', server.url).toString());
    const chart = page.getByTestId('load-history');
    await chart.locator('.recharts-bar-rectangle').first().waitFor({ timeout: 60_000 });
    expect(await chart.textContent()).toMatch(/The last 1 load run/);
  });

  it('fits every page at 1280×800 and at 390×844, with the navigation reachable (through the burger when narrow)', async () => {
    // Something on every page: a table with a load run, and a scheduled connection whose run failed.
    const token = await tokenOf(ADMIN);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const form = new FormData();
    form.append('table', 'layout_demo');
    const long = 'a_rather_long_value_that_does_not_wrap_at_all_'.repeat(3);
    form.append('file', new Blob([`id,name,note\n1,a,${long}\n2,b,x\n3,c,not-a-number-here\n`], { type: 'text/csv' }), 'layout_demo.csv');
    const uploaded = await fetch(new URL('/api/files/', server.url), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const { dag_run_id: runId } = (await uploaded.json()) as { dag_run_id: string };
    const connection = await fetch(new URL('/api/connections', server.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ id: 'layout-broken', name: 'A source that answers 404', apiConfig: { baseUrl: `${fakeApi.url}/not-found` }, destination: { table: 'layout_broken' } }),
    });
    expect(connection.status, await connection.clone().text()).toBe(201);
    const run = await fetch(new URL('/api/execute-run?wait=true&timeoutSeconds=60', server.url), { method: 'POST', headers, body: JSON.stringify({ connectionId: 'layout-broken' }) });
    const failed = (await run.json()) as { runId: string; state: string };
    expect(failed.state).toBe('failed');
    const schedule = await fetch(new URL('/api/scheduler', server.url), { method: 'POST', headers, body: JSON.stringify({ connectionId: 'layout-broken', scheduleType: 'daily' }) });
    expect(schedule.status, await schedule.clone().text()).toBe(201);

    /** Each page of the navigation, and what shows once it has loaded. */
    const pages: { path: string; nav?: string; ready: () => Promise<unknown> }[] = [
      { path: '/', nav: 'Dashboard', ready: () => page.getByTestId('failing-schedules').getByRole('link', { name: 'layout-broken', exact: true }).waitFor() },
      { path: '/connections', nav: 'Connections', ready: () => page.getByTestId('connections-list').waitFor() },
      { path: '/connections/layout-broken', ready: () => page.getByTestId('schedule-next-runs').waitFor() },
      { path: '/schedules', nav: 'Schedules', ready: () => page.getByTestId('schedules-list').waitFor() },
      { path: '/runs', nav: 'Runs', ready: () => page.getByRole('row', { name: /layout_demo/ }).first().waitFor() },
      { path: `/runs/${encodeURIComponent(runId)}`, ready: async () => {
        await page.getByTestId('run-graph').locator('[data-testid^="dag-node-"]').first().waitFor();
        await page.getByTestId('run-logs').waitFor();
      } },
      { path: '/files', nav: 'Files', ready: () => page.getByRole('heading', { name: 'Uploaded files' }).waitFor() },
      { path: '/tables', nav: 'Tables', ready: () => page.getByRole('link', { name: 'layout_demo' }).waitFor() },
      { path: '/tables/layout_demo', ready: () => page.getByTestId('table-rows').waitFor() },
      {
        path: '/tables/layout_demo',
        ready: async () => {
          await page.getByRole('tab', { name: 'Quality' }).click();
          await page.getByTestId('quality-latest').waitFor({ timeout: 60_000 });
        },
      },
      { path: '/audit', nav: 'Audit', ready: () => page.getByTestId('audit-events').waitFor() },
      { path: '/settings', nav: 'Settings', ready: () => page.getByTestId('users').waitFor() },
    ];
    /**
     * What sticks out past the right edge of the window: a page wider than the window, an element past its
     * edge, or one whose content it cuts off (outside the scroll containers, which scroll on purpose).
     */
    const overflow = () =>
      page.locator('body *').evaluateAll((elements) => {
        const view = elements[0]!.ownerDocument.defaultView!;
        const width = view.innerWidth;
        const clipped = (e: (typeof elements)[number]) => {
          if (e.tagName === 'INPUT' || e.tagName === 'TEXTAREA') return false; // a long value scrolls inside its field
          const style = view.getComputedStyle(e);
          return (style.overflowX === 'hidden' || style.overflowX === 'clip') && style.textOverflow !== 'ellipsis' && e.scrollWidth > e.clientWidth + 1;
        };
        const wide = elements
          .filter((e) => (e.getBoundingClientRect().right > width + 1 || clipped(e)) && !e.closest('.mantine-ScrollArea-root, .mantine-Table-scrollContainer, .react-flow'))
          .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} "${(e.textContent ?? '').slice(0, 30)}" right=${Math.round(e.getBoundingClientRect().right)}`);
        const scrollWidth = elements[0]!.ownerDocument.documentElement.scrollWidth;
        return scrollWidth <= width + 1 && wide.length === 0 ? null : { scrollWidth, width, wide: wide.slice(-6) };
      });
    /** Whether an element lies inside the window (a collapsed navbar sits off its left edge). */
    const inView = async (locator: ReturnType<Page['locator']>) => {
      if (!(await locator.isVisible())) return false;
      const box = await locator.boundingBox();
      const width = page.viewportSize()!.width;
      return box !== null && box.x >= 0 && box.x + box.width <= width + 1;
    };
    const nav = page.getByRole('navigation', { name: 'Main' });
    const burger = page.getByRole('button', { name: 'Toggle navigation' });

    await logIn(ADMIN);
    // The connections list shows the failed run, the only one: not "Last run —".
    await page.goto(new URL('/connections', server.url).toString());
    const broken = page.getByTestId('connections-list').getByRole('row', { name: /A source that answers 404/ }).getByTestId('latest-run');
    await expect.poll(() => broken.textContent()).toMatch(/^failed/);
    expect(await broken.getByRole('link').getAttribute('href')).toBe(`/runs/${encodeURIComponent(failed.runId)}`);
    await page.goto(server.url);
    // The dashboard lists the failing schedule with a link to its failed run.
    const failedRun = page.getByTestId('failing-schedules').getByRole('link', { name: 'Failed run of layout-broken' });
    await expect.poll(() => failedRun.getAttribute('href')).toBe(`/runs/${encodeURIComponent(failed.runId)}`);
    for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      const narrow = size.width < 600;
      await page.setViewportSize(size);
      for (const p of pages) {
        await page.goto(new URL(p.path, server.url).toString());
        await p.ready();
        await expect.poll(() => page.getByLabel('Loading', { exact: true }).count(), { message: `${p.path} at ${size.width}px still loading` }).toBe(0);
        expect(await overflow(), `${p.path} at ${size.width}px overflows`).toBeNull();
        if (narrow && p.path === '/') await page.screenshot({ path: path.join(SCREENSHOTS, 'web-narrow-dashboard.png'), fullPage: true });
        if (narrow && p.path.startsWith('/runs/')) await page.screenshot({ path: path.join(SCREENSHOTS, 'web-narrow-run.png'), fullPage: true });
      }
      // Every navigation link is on screen, behind the burger when narrow, and takes you to its page.
      for (const p of pages.filter((p) => p.nav)) {
        await page.goto(new URL('/files', server.url).toString());
        const link = nav.getByRole('link', { name: p.nav, exact: true });
        if (narrow) {
          expect(await inView(link), `${p.nav} hidden until the burger is pressed`).toBe(false);
          await burger.click();
        } else {
          expect(await burger.isVisible()).toBe(false);
        }
        await expect.poll(() => inView(link), { message: `${p.nav} link on screen at ${size.width}px` }).toBe(true);
        await link.click();
        await page.waitForURL((url) => url.pathname === p.path);
        await p.ready();
        // The navigation closes again once a page is picked.
        if (narrow) await expect.poll(() => inView(link)).toBe(false);
      }
    }
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

    expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    // Typed in by hand, /audit says what it needs rather than failing.
    await page.goto(new URL('/audit', server.url).toString());
    await expect.poll(() => page.getByTestId('audit-admin-only').textContent()).toMatch(/The audit trail needs the admin role.*a viewer/);
    expect(await page.getByRole('alert').filter({ hasText: 'Could not load' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByTestId('users').waitFor();
    expect(await page.getByRole('tab', { name: 'API tokens' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Add user' }).count()).toBe(0);
    await page.getByRole('tab', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add target' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Tables' }).click();
    await page.getByRole('link', { name: 'orders' }).click();
    await page.getByTestId('table-rows').waitFor();

    // Logging out forgets the token here and revokes it on the server (after forgetting it, so no
    // query still polling goes out with a revoked token: the console-error check above would see it).
    const browserToken = await page.evaluate<string | null>("localStorage.getItem('sluice.token')");
    expect(browserToken).toBeTruthy();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await page.evaluate<string | null>("localStorage.getItem('sluice.token')")).toBeNull();
    await expect
      .poll(async () => (await fetch(new URL('/api/auth/me', server.url), { headers: { authorization: `Bearer ${browserToken}` } })).status)
      .toBe(401);
  });
});
