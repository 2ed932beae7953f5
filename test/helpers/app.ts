import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { buildServer } from '../../src/api/index.js';
import { bootstrapFirstAdmin, type Role } from '../../src/auth/index.js';
import { parseConfig } from '../../src/config/index.js';
import type { Database } from '../../src/db/index.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { createServices, openRawStore, type Services } from '../../src/services.js';
import { SecretBox } from '../../src/secrets/index.js';
import type { DagRun } from '../../src/runs/index.js';
import { dropDatabasesWithPrefix } from './drop-database.js';

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  /** A bearer token of the first admin of org `default`. */
  adminToken: string;
  adminPassword: string;
  /** Creates an org with a user of `role` and returns that user's session token. */
  orgWithUser(orgId: string, role?: Role): Promise<{ token: string; userId: string; email: string }>;
  userIn(orgId: string, role: Role): Promise<{ token: string; userId: string; email: string }>;
  close(): Promise<void>;
}

let counter = 0;

/** A real server on a real database, bootstrapped like a first start; requests go through `app.inject()`. */
export async function createTestApp(
  fixture: { db: Database; url: string | undefined },
  env: NodeJS.ProcessEnv = {},
  options: { /** Where the server logs; nowhere by default. */ logger?: Logger } = {},
): Promise<TestApp> {
  const { db } = fixture;
  const warehousePrefix = `t${randomBytes(5).toString('hex')}_`;
  // Fake source APIs in tests listen on loopback, which the SSRF guard refuses by default.
  const config = parseConfig(
    {
      NODE_ENV: 'test',
      SLUICE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'sluice-app-')),
      SLUICE_LOGIN_FAILURE_DELAY_MS: '0',
      SLUICE_HTTP_ALLOW_PRIVATE: 'true',
      // The settings must describe the database the test opened (the warehouse reaches per-org databases from them).
      ...(fixture.url ? { DATABASE_URL: fixture.url } : {}),
      // On a server the per-org warehouse databases are shared by every test database: a prefix of
      // this app's own keeps suites (and earlier runs) from seeing each other's tables.
      PG_DB_PREFIX: warehousePrefix,
      ...env,
    },
    process.cwd(),
  );
  const services = createServices(config, db, options.logger ?? silentLogger(), {
    secretBox: new SecretBox('test secret key of at least thirty-two characters'),
    raw: await openRawStore(config, db),
  });
  const adminPassword = 'admin-password-1';
  const first = await bootstrapFirstAdmin(db, services, { email: 'admin@example.com', password: adminPassword });
  const app = await buildServer({ services });
  const login = async (email: string, password: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ token: string; user: { id: string } }>();
  };
  const adminToken = first ? (await login('admin@example.com', adminPassword)).token : '';

  const userIn = async (orgId: string, role: Role) => {
    const email = `${role}-${++counter}-${orgId}@example.com`;
    const user = await services.users.create(orgId, { email, password: 'user-password-1', role });
    const { token } = await login(email, 'user-password-1');
    return { token, userId: user.id, email };
  };

  return {
    app,
    services,
    adminToken,
    adminPassword,
    userIn,
    async orgWithUser(orgId, role = 'admin') {
      await services.orgs.create({ id: orgId });
      return userIn(orgId, role);
    },
    async close() {
      await app.close();
      await services.engine.stop();
      await services.audit.flush();
      await services.sources.client.close();
      await services.warehouse.close();
      await services.raw.close();
      if (fixture.url) await dropDatabasesWithPrefix(fixture.url, services.config.warehousePrefix);
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Polls `/api/airflow/status/<dag>/<run>/` (the org-aware pipelines' status) until the run has ended; its view. */
export async function waitForDagRun(app: FastifyInstance, dagId: string, runId: string, token: string): Promise<DagRun> {
  for (let i = 0; i < 300; i++) {
    const res = await app.inject({ method: 'GET', url: `/api/airflow/status/${dagId}/${runId}/`, headers: bearer(token) });
    const run = res.json<DagRun>();
    if (['success', 'failed', 'cancelled'].includes(run.state)) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} of ${dagId} did not end`);
}
