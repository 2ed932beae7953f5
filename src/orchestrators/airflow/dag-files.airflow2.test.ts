import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPipelineRegistry, type PipelineDeps } from '../../pipelines/index.js';
import { AIRFLOW2_PYTHON, basicEnv } from '../../../test/helpers/airflow.js';
import { DagFolder, dagSpecFor } from './dag-files.js';

/**
 * The generated DAG files import on Airflow 2.x too: parsed by a real
 * Airflow 2.11 DagBag (.ci/airflow/setup-airflow2.sh makes the venv; no
 * Airflow service runs). Against Airflow 3.3 they are tested live in
 * test/airflow.e2e.test.ts.
 */
const python = AIRFLOW2_PYTHON;

const PARSE = `
import json, sys
from airflow.models import DagBag
bag = DagBag(sys.argv[1], include_examples=False)
print(json.dumps({
  "errors": {k: v for k, v in bag.import_errors.items()},
  "dags": [{"dag_id": d.dag_id, "schedule": str(d.schedule_interval), "timezone": str(d.timezone), "catchup": d.catchup,
            "max_active_runs": d.max_active_runs, "tags": sorted(d.tags), "is_paused_upon_creation": d.is_paused_upon_creation,
            "tasks": {t.task_id: {"upstream": sorted(t.upstream_task_ids), "trigger_rule": str(t.trigger_rule), "retries": t.retries,
                                  "operator": type(t).__name__} for t in d.tasks}} for d in bag.dags.values()],
}))
`;

describe.runIf(python)('DAG files on Airflow 2.x', () => {
  it('import cleanly, with the schedule, timezone, tasks, dependencies and the TriggerDagRunOperator', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-af2-'));
    const dags = path.join(dir, 'dags');
    const registry = createPipelineRegistry({} as PipelineDeps);
    const folder = new DagFolder(dags);
    await folder.write(dagSpecFor(registry.resolve('etl_workflow_users')!.pipeline, 'etl_workflow_users', { schedule: { cron: '0 9 * * *', timezone: 'Europe/Berlin' }, paused: true }));
    await folder.write(dagSpecFor(registry.get('enhanced_org_aware_ingest_dag')!, 'enhanced_org_aware_ingest_dag'));
    await folder.write(dagSpecFor(registry.get('enhanced_mongo_to_postgres_dag')!, 'enhanced_mongo_to_postgres_dag'));
    await folder.write(dagSpecFor(registry.get('forecast_inventory_dag')!, 'forecast_inventory_dag'));
    const out = execFileSync(python!, ['-c', PARSE, dags], {
      env: { ...basicEnv(), AIRFLOW_HOME: path.join(dir, 'home'), AIRFLOW__CORE__LOAD_EXAMPLES: 'False', AIRFLOW__CORE__DAGS_FOLDER: dags },
      timeout: 120_000,
    }).toString();
    const parsed = JSON.parse(out.trim().split('\n').at(-1)!) as {
      errors: Record<string, string>;
      dags: { dag_id: string; schedule: string; timezone: string; catchup: boolean; max_active_runs: number; is_paused_upon_creation: boolean; tasks: Record<string, { upstream: string[]; trigger_rule: string; retries: number; operator: string }> }[];
    };
    expect(parsed.errors).toEqual({});
    const byId = Object.fromEntries(parsed.dags.map((d) => [d.dag_id, d]));
    expect(byId.etl_workflow_users).toMatchObject({ schedule: '0 9 * * *', timezone: 'Europe/Berlin', catchup: false, max_active_runs: 1, is_paused_upon_creation: true });
    expect(byId.etl_workflow_users!.tasks.send_notification).toMatchObject({ upstream: ['health_check'], trigger_rule: 'all_done' });
    expect(byId.etl_workflow_users!.tasks.extract!.retries).toBe(2);
    expect(byId.enhanced_org_aware_ingest_dag!.tasks.trigger_load).toMatchObject({ operator: 'TriggerDagRunOperator', upstream: ['record_metadata'] });
    expect(Object.keys(byId.enhanced_mongo_to_postgres_dag!.tasks)).toEqual(['load_to_postgres', 'quality_check', 'trigger_forecast']);
    const forecast = byId.forecast_inventory_dag!.tasks;
    const shards = Object.keys(forecast).filter((id) => id.startsWith('forecast_shard_'));
    expect(shards.length).toBeGreaterThan(1);
    expect(forecast.publish!.upstream).toEqual(shards.sort());
    expect(forecast.notify!.upstream).toEqual(['publish']);
  }, 150_000);

  it("tell Sluice a scheduled run's fire time (its data interval's end), and nothing for other runs", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-af2-'));
    const dags = path.join(dir, 'dags');
    const registry = createPipelineRegistry({} as PipelineDeps);
    await new DagFolder(dags).write(dagSpecFor(registry.resolve('etl_workflow_users')!.pipeline, 'etl_workflow_users', { schedule: { cron: '0 9 * * *', timezone: 'UTC' } }));
    const script = `
import importlib.util, json, sys
import pendulum
from airflow.models.dagrun import DagRun
from airflow.utils.types import DagRunType
spec = importlib.util.spec_from_file_location("dag", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
# CronDataIntervalTimetable (2.x): the run at 09:00 on the 21st covers the 20th, 09:00 to the 21st, 09:00.
interval = (pendulum.datetime(2026, 11, 20, 9, tz="UTC"), pendulum.datetime(2026, 11, 21, 9, tz="UTC"))
scheduled = DagRun(dag_id="etl_workflow_users", run_id="scheduled__x", run_type=DagRunType.SCHEDULED, data_interval=interval)
manual = DagRun(dag_id="etl_workflow_users", run_id="manual__x", run_type=DagRunType.MANUAL, data_interval=interval)
print(json.dumps([module._scheduled_for(scheduled), module._scheduled_for(manual)]))
`;
    const out = execFileSync(python!, ['-c', script, path.join(dags, 'sluice__etl_workflow_users.py')], {
      env: { ...basicEnv(), AIRFLOW_HOME: path.join(dir, 'home'), AIRFLOW__CORE__LOAD_EXAMPLES: 'False', AIRFLOW__CORE__DAGS_FOLDER: dags },
      timeout: 120_000,
    }).toString();
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual(['2026-11-21T09:00:00+00:00', null]);
  }, 150_000);
});
