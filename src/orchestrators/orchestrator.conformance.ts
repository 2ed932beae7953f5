import { expect, it } from 'vitest';
import type { Services } from '../services.js';
import { etlWorkflowDagId } from '../pipelines/index.js';
import type { Orchestrator } from './orchestrator.js';

/**
 * What every orchestrator must do, as one suite each implementation runs
 * (the builtin engine in test/orchestrator.builtin.test.ts, Airflow in
 * test/airflow.e2e.test.ts). Not exported from index.ts: it imports vitest.
 */
export interface OrchestratorFixture {
  orchestrator: Orchestrator;
  services: Services;
  orgId: string;
  otherOrgId: string;
  /** A connection of `orgId` whose source returns 23 records, loaded into `table`. */
  connectionId: string;
  table: string;
  /** How long a run may take (Airflow starts a process per task). */
  runTimeoutMs: number;
}

export function orchestratorConformance(fixture: () => OrchestratorFixture, options: { testTimeoutMs?: number } = {}): void {
  const timeout = options.testTimeoutMs ?? 30_000;
  let runId = '';

  it('runs a triggered DAG to success, and the rows land', async () => {
    const f = fixture();
    const run = await f.orchestrator.trigger({ orgId: f.orgId, dagId: etlWorkflowDagId(f.connectionId), trigger: 'api', conf: { from: 'conformance' } });
    runId = run.runId;
    expect(run).toMatchObject({ orgId: f.orgId, dagId: etlWorkflowDagId(f.connectionId), state: 'queued', trigger: 'api', orchestrator: f.orchestrator.kind });
    expect(run.conf).toMatchObject({ from: 'conformance' });
    const done = await f.orchestrator.waitForRun(f.orgId, run.runId, { timeoutMs: f.runTimeoutMs });
    expect(done.state, JSON.stringify(done.tasks)).toBe('success');
    expect(done.tasks.every((t) => t.state === 'success')).toBe(true);
    expect(done.tasks.find((t) => t.taskId === 'extract')?.rowsOut).toBe(23);
    const page = await f.services.warehouse.rows(f.orgId, f.table, { limit: 1 });
    expect(page.total).toBeGreaterThanOrEqual(23);
  }, timeout);

  it("keeps a run to its organisation: another one can neither read, cancel nor retry it", async () => {
    const f = fixture();
    await expect(f.services.runs.get(f.otherOrgId, runId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(f.orchestrator.cancel(f.otherOrgId, runId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(f.orchestrator.retry(f.otherOrgId, runId)).rejects.toMatchObject({ code: 'not_found' });
    expect((await f.services.runs.list(f.otherOrgId, {})).some((r) => r.runId === runId)).toBe(false);
  });

  it('refuses to cancel or retry a run that succeeded', async () => {
    const f = fixture();
    await expect(f.orchestrator.cancel(f.orgId, runId)).rejects.toMatchObject({ code: 'conflict' });
    await expect(f.orchestrator.retry(f.orgId, runId)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses a DAG no pipeline runs', async () => {
    const f = fixture();
    await expect(f.orchestrator.trigger({ orgId: f.orgId, dagId: 'no_such_dag', trigger: 'api' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reports its health', async () => {
    const health = await fixture().orchestrator.health();
    expect(health.ok).toBe(true);
    expect(health.detail.length).toBeGreaterThan(0);
  });
}
