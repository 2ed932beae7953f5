import { afterAll, beforeAll } from 'vitest';
import { orchestratorConformance, type OrchestratorFixture } from '../src/orchestrators/orchestrator.conformance.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';

describeEachDatabase('orchestrator conformance: builtin', (db) => {
  let t: TestApp;
  let api: FakeApi;
  let fixture: OrchestratorFixture;

  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(db);
    t.services.engine.start();
    await t.services.orgs.create({ id: 'conformance-other' });
    await t.services.connections.create('default', { id: 'conformance-users', name: 'Users', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: 'conformance_users' } }, { type: 'system', id: 'test' });
    fixture = { orchestrator: t.services.orchestrator, services: t.services, orgId: 'default', otherOrgId: 'conformance-other', connectionId: 'conformance-users', table: 'conformance_users', runTimeoutMs: 20_000 };
  });
  afterAll(async () => {
    await t.close();
    await api.close();
  });

  orchestratorConformance(() => fixture);
});
