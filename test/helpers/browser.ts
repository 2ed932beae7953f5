import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/**
 * What the browser tests share: Debian's chromium through playwright-core
 * (never a downloaded browser), a page per test that collects the browser's
 * console errors, and a screenshot of each test's last state in
 * .test-results/screenshots.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.SLUICE_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, '.test-results', 'screenshots');

if (!existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) {
  throw new Error('web/dist is missing: run `npm install` (its prepare script builds the web app) or `npm run build:web`');
}
/** Like the PostgreSQL server and Airflow: mandatory in CI (.ci/run installs chromium), skipped elsewhere when absent. */
export const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM && process.env.CI) {
  throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does)`);
}

export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface BrowserPage {
  context: BrowserContext;
  page: Page;
  /** Errors the page logged or threw; a test that expects one removes it. */
  consoleErrors: string[];
}

export async function openPage(browser: Browser, options: BrowserContextOptions): Promise<BrowserPage> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return { context, page, consoleErrors };
}

/** Saves a screenshot named after `testName`, closes the page, and returns its console errors. */
export async function closePage(session: BrowserPage, prefix: string, testName: string): Promise<string[]> {
  const name = testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  await session.page.screenshot({ path: path.join(SCREENSHOTS, `${prefix}-${name}.png`), fullPage: true }).catch(() => undefined);
  await session.context.close();
  return session.consoleErrors;
}
