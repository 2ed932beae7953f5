import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig, parseConfig } from './index.js';

const parseError = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    parseConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('defaults to the embedded database in ./.sluice on 127.0.0.1:3000', () => {
    const config = parseConfig({}, '/srv/app');
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '/srv/app/.sluice' });
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000, corsOrigins: [] });
    expect(config.warehousePrefix).toBe('orgdata_');
    expect(config.mongo).toBeUndefined();
    expect(config.airflow).toBeUndefined();
  });

  it('uses DATABASE_URL for a PostgreSQL server', () => {
    const config = parseConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/sluice', SLUICE_DB_POOL_MAX: '4' }, '/srv');
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db:5432/sluice', poolMax: 4 });
  });

  it("builds the server URL from the seed's PG_HOST / APP_DB_USER variables", () => {
    const config = parseConfig({ PG_HOST: 'postgres', PG_PORT: '6543', APP_DB_USER: 'app', APP_DB_PASSWORD: 'p@ss:word' }, '/srv');
    expect(config.database.kind).toBe('postgres');
    const url = new URL((config.database as { url: string }).url);
    expect([url.hostname, url.port, url.username, decodeURIComponent(url.password), url.pathname]).toEqual([
      'postgres',
      '6543',
      'app',
      'p@ss:word',
      '/sluice',
    ]);
  });

  it('accepts the older AIRFLOW_API_BASE name and the Mongo defaults', () => {
    const config = parseConfig({ AIRFLOW_API_BASE: 'http://airflow:8080/api/v1', MONGO_URI: 'mongodb://mongo:27017' }, '/srv');
    expect(config.airflow).toMatchObject({ apiUrl: 'http://airflow:8080/api/v1', fallback: 'builtin' });
    expect(config.mongo).toEqual({ uri: 'mongodb://mongo:27017', database: 'client_data' });
  });

  it('keeps metrics off by default, turns them on with a token, and hides a short token', () => {
    expect(parseConfig({}, '/srv').metrics).toEqual({ enabled: false, token: undefined, orgLabels: false, dagLabels: false });
    const token = 'x'.repeat(32);
    expect(parseConfig({ SLUICE_METRICS_TOKEN: token }, '/srv').metrics).toMatchObject({ enabled: true, token });
    expect(parseConfig({ SLUICE_METRICS_TOKEN: token, SLUICE_METRICS: 'false' }, '/srv').metrics.enabled).toBe(false);
    expect(parseConfig({ SLUICE_METRICS: 'true', SLUICE_METRICS_ORG_LABELS: 'yes' }, '/srv').metrics).toMatchObject({ enabled: true, token: undefined, orgLabels: true });
    expect(parseConfig({ SLUICE_WORKER_METRICS_PORT: '9464' }, '/srv').metrics).toMatchObject({ enabled: true, workerPort: 9464 });
    expect(parseConfig({}, '/srv').metrics).toMatchObject({ enabled: false, workerPort: undefined });
    const error = parseError({ SLUICE_METRICS_TOKEN: 'short-secret' });
    expect(error.problems).toEqual([expect.objectContaining({ variable: 'SLUICE_METRICS_TOKEN', value: '(hidden)' })]);
  });

  it('reads the grace period before Airflow\'s schedules fall back to the builtin engine', () => {
    expect(parseConfig({ AIRFLOW_API_URL: 'http://airflow:8080' }, '/srv').airflow?.scheduleGraceSeconds).toBe(300);
    expect(parseConfig({ AIRFLOW_API_URL: 'http://airflow:8080', SLUICE_AIRFLOW_SCHEDULE_GRACE_SECONDS: '30' }, '/srv').airflow?.scheduleGraceSeconds).toBe(30);
    expect(parseError({ SLUICE_AIRFLOW_SCHEDULE_GRACE_SECONDS: 'soon' }).problems.map((p) => p.variable)).toEqual(['SLUICE_AIRFLOW_SCHEDULE_GRACE_SECONDS']);
  });

  it('lists every bad variable at once, naming each', () => {
    const error = parseError({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://secret@host/db',
      PG_DB_PREFIX: 'Org-Data',
      SLUICE_ADMIN_EMAIL: 'not-an-email',
      SLUICE_TRUST_PROXY: 'maybe',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(
      ['DATABASE_URL', 'PG_DB_PREFIX', 'PORT', 'SLUICE_ADMIN_EMAIL', 'SLUICE_TRUST_PROXY'].sort(),
    );
    expect(error.message).toContain('PORT must be a whole number (got "eighty")');
  });

  it('never prints the value of a secret variable', () => {
    const error = parseError({ DATABASE_URL: 'mysql://user:hunter2@host/db', SLUICE_SECRET_KEY: 'short-secret' });
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('short-secret');
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).toContain('SLUICE_SECRET_KEY');
  });

  it('refuses PG_HOST without a user, and AIRFLOW_* settings without the API URL', () => {
    const error = parseError({ PG_HOST: 'db', AIRFLOW_USERNAME: 'airflow' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['AIRFLOW_API_URL', 'APP_DB_USER']);
  });

  it('treats empty values as unset', () => {
    expect(parseConfig({ PORT: '', DATABASE_URL: '' }, '/srv').http.port).toBe(3000);
  });

  it('keeps warehouse names within PostgreSQL\'s 63-byte limit by bounding the prefix', () => {
    expect(parseConfig({ PG_DB_PREFIX: 'a'.repeat(20) }, '/srv').warehousePrefix).toHaveLength(20);
    expect(parseError({ PG_DB_PREFIX: 'a'.repeat(21) }).problems[0]!.variable).toBe('PG_DB_PREFIX');
  });
});

describe('loadConfig', () => {
  it('reads .env and .env.local, with .env.local over .env and the real environment over both', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-env-'));
    writeFileSync(path.join(dir, '.env'), 'PORT=4001\nHOST=0.0.0.0\nPG_DB_PREFIX=from_env_\n');
    writeFileSync(path.join(dir, '.env.local'), 'PORT=4002\nPG_DB_PREFIX=from_local_\n');
    const config = loadConfig({ PG_DB_PREFIX: 'from_process_', HOST: '' }, dir);
    expect(config.http.port).toBe(4002);
    // An empty variable in the shell does not hide the file's value.
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.warehousePrefix).toBe('from_process_');
  });
});

describe('documentation', () => {
  it('README and .env.example name every variable', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const missing = CONFIG_VARIABLES.filter((v) => !readme.includes(`\`${v}\``) || !example.includes(v));
    expect(missing).toEqual([]);
  });
});
