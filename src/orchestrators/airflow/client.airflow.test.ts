/**
 * The client against the real Airflow 3.3 that `.ci/run` starts
 * (.ci/airflow/setup.sh). Skipped without AIRFLOW_TEST_API_URL outside CI;
 * in CI test/helpers/airflow.ts throws instead, so it cannot be skipped.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIRFLOW_TEST, waitFor, type AirflowTestSettings } from '../../../test/helpers/airflow.js';
import { AppError } from '../../errors/index.js';
import { AirflowClient, type AirflowDagRun } from './index.js';

/** The dag-processor rescans the folder every 3 s in CI; parsing a new file takes a few more. */
const PARSE_TIMEOUT_MS = 90_000;
const RUN_TIMEOUT_MS = 120_000;

const suffix = randomBytes(4).toString('hex');
const DAG_ID = `sluice_client_test_${suffix}`;
const BROKEN_DAG_ID = `sluice_client_broken_${suffix}`;

const dagSource = (dagId: string): string => `# A DAG written by Sluice's Airflow client test; removed when the test ends.
from __future__ import annotations

import pendulum

try:
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2.x
    from airflow.decorators import dag, task


@dag(dag_id="${dagId}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False, tags=["sluice-test"])
def build():
    @task
    def echo(**context):
        conf = context["dag_run"].conf or {}
        print("sluice-echo", conf.get("marker"))
        return conf.get("marker")

    echo()


build()
`;

// Mentions airflow and dag, or the dag-processor's safe mode would skip it without an import error.
const brokenSource = `from airflow.sdk import dag\n\ndef ${BROKEN_DAG_ID}(:  # a syntax error on purpose\n`;

describe.runIf(AIRFLOW_TEST)('AirflowClient against a real Airflow', () => {
  // Vitest collects this body even when the suite is skipped: touch AIRFLOW_TEST only in hooks and tests.
  let settings: AirflowTestSettings;
  let files: string[];
  let client: AirflowClient;

  beforeAll(() => {
    settings = AIRFLOW_TEST!;
    files = [path.join(settings.dagsFolder, `${DAG_ID}.py`), path.join(settings.dagsFolder, `${BROKEN_DAG_ID}.py`)];
    client = new AirflowClient({ apiUrl: settings.apiUrl, username: settings.username, password: settings.password });
  });

  afterAll(async () => {
    for (const file of files ?? []) await rm(file, { force: true });
    // Removed files first, so that the dag-processor does not bring the DAGs back.
    await client?.deleteDag(DAG_ID).catch(() => undefined);
    await client?.close();
  });

  it('is healthy and speaks Airflow 3.3 over /api/v2', async () => {
    const health = await client.health();
    expect(health).toMatchObject({ healthy: true, metadatabase: 'healthy', scheduler: 'healthy', dagProcessor: 'healthy', apiVersion: 'v2' });
    const version = await client.version();
    expect(version.apiVersion).toBe('v2');
    expect(version.version).toMatch(/^3\.3\./);
  });

  it('refuses a wrong password with airflow_auth_failed', async () => {
    const wrong = new AirflowClient({ apiUrl: `${settings.apiUrl}/api/v2`, username: settings.username, password: 'not-the-password' });
    const error = await wrong.listDags().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('airflow_auth_failed');
    expect((error as AppError).message).not.toContain('not-the-password');
    await wrong.close();
  });

  it(
    'sees a new DAG file, unpauses it, runs it with our run id and conf, and reads its tasks and log',
    async () => {
      expect(await client.findDag(DAG_ID)).toBeUndefined();
      const missing = await client.triggerRun(DAG_ID).catch((e: unknown) => e);
      expect((missing as AppError).code).toBe('airflow_dag_not_found');
      expect((missing as AppError).message).toContain('not parsed yet');

      await writeFile(files[0]!, dagSource(DAG_ID));
      const dag = await waitFor(`Airflow to parse ${DAG_ID}`, () => client.findDag(DAG_ID), PARSE_TIMEOUT_MS);
      expect(dag).toMatchObject({ dagId: DAG_ID, isStale: false, tags: ['sluice-test'], relativeFileloc: `${DAG_ID}.py` });
      expect(await client.importErrors({ filenameContains: DAG_ID })).toEqual([]);
      expect((await client.listDags({ dagIdPattern: DAG_ID })).dags.map((d) => d.dagId)).toEqual([DAG_ID]);

      expect((await client.unpause(DAG_ID)).isPaused).toBe(false);
      const runId = `sluice__test_${suffix}`;
      const marker = `m${randomBytes(6).toString('hex')}`;
      const run = await client.triggerRun(DAG_ID, { runId, conf: { marker } });
      expect(run).toMatchObject({ runId, dagId: DAG_ID, logicalDate: null, conf: { marker }, runType: 'manual' });
      // Sending the same trigger again (a retried request) answers the same run.
      expect((await client.triggerRun(DAG_ID, { runId, conf: { marker } })).runId).toBe(runId);

      const done = await waitFor<AirflowDagRun>(
        `run ${runId} to end`,
        async () => {
          const current = await client.getRun(DAG_ID, runId);
          return current.state === 'success' || current.state === 'failed' ? current : undefined;
        },
        RUN_TIMEOUT_MS,
      );
      expect(done.state).toBe('success');
      expect(done.endDate).not.toBeNull();
      expect((await client.listRuns(DAG_ID, { limit: 5 })).runs.map((r) => r.runId)).toContain(runId);

      const tis = await client.taskInstances(DAG_ID, runId);
      expect(tis).toEqual([expect.objectContaining({ taskId: 'echo', state: 'success', tryNumber: 1, mapIndex: -1 })]);
      const log = await client.taskLog(DAG_ID, runId, 'echo', tis[0]!.tryNumber);
      expect(log.lines.some((l) => l.text.includes(`sluice-echo ${marker}`))).toBe(true);

      expect((await client.pause(DAG_ID)).isPaused).toBe(true);
      expect((await client.getDag(DAG_ID)).isPaused).toBe(true);
      expect(client.uiUrlFor(DAG_ID, runId)).toBe(`${settings.apiUrl}/dags/${DAG_ID}/runs/${runId}`);
    },
    PARSE_TIMEOUT_MS + RUN_TIMEOUT_MS + 30_000,
  );

  it(
    'reports a DAG file with a syntax error in importErrors()',
    async () => {
      await writeFile(files[1]!, brokenSource);
      const errors = await waitFor(
        `an import error for ${BROKEN_DAG_ID}.py`,
        async () => {
          const found = await client.importErrors({ filenameContains: BROKEN_DAG_ID });
          return found.length > 0 ? found : undefined;
        },
        PARSE_TIMEOUT_MS,
      );
      expect(errors[0]!.filename).toContain(`${BROKEN_DAG_ID}.py`);
      expect(errors[0]!.stackTrace).toContain('SyntaxError');
      const error = await client.getDag(BROKEN_DAG_ID).catch((e: unknown) => e);
      expect((error as AppError).code).toBe('airflow_import_error');
      expect((error as AppError).message).toMatch(new RegExp(`^Import error in ${BROKEN_DAG_ID}\\.py \\(DAG "${BROKEN_DAG_ID}"\\): SyntaxError`));
    },
    PARSE_TIMEOUT_MS + 10_000,
  );
});
