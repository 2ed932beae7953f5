import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PipelineDeps } from '../../pipelines/index.js';
import { createPipelineRegistry } from '../../pipelines/index.js';
import { DagFolder, dagFileName, dagSpecFor, renderDagFile } from './dag-files.js';

const registry = createPipelineRegistry({} as PipelineDeps);
const etl = registry.resolve('etl_workflow_users')!.pipeline;
const ingest = registry.get('enhanced_org_aware_ingest_dag')!;

describe('DAG files', () => {
  it('describes a pipeline as Airflow will run it: tasks, dependencies, retries, schedule', () => {
    const spec = dagSpecFor(etl, 'etl_workflow_users', { schedule: { cron: '0 9 * * *', timezone: 'Europe/Berlin' }, maxActiveRuns: 1 });
    expect(spec).toMatchObject({ dag_id: 'etl_workflow_users', schedule: { cron: '0 9 * * *', timezone: 'Europe/Berlin' }, max_active_runs: 1, paused: false });
    expect(spec.tasks.map((t) => [t.task_id, t.upstream, t.trigger_rule])).toEqual([
      ['extract', [], 'all_success'],
      ['load', ['extract'], 'all_success'],
      ['health_check', ['load'], 'all_success'],
      ['send_notification', ['health_check'], 'all_done'],
    ]);
    expect(spec.tasks[0]!.retries).toBe(2);
    expect(spec.tags).toContain('etl_workflow');
  });

  it('chains the ingest DAG to the load DAG with TriggerDagRunOperator', () => {
    const spec = dagSpecFor(ingest, ingest.name);
    const trigger = spec.tasks.find((t) => t.task_id === 'trigger_load')!;
    expect(trigger).toMatchObject({ trigger_dag_id: 'enhanced_mongo_to_postgres_dag' });
    expect(trigger.trigger_conf).toMatchObject({ org_id: "{{ dag_run.conf['org_id'] }}", upstream_run_id: '{{ run_id }}' });
  });

  it('describes forecast_inventory_dag: prepare, its shards side by side, then publish and notify', () => {
    const spec = dagSpecFor(createPipelineRegistry({} as PipelineDeps, [], { forecastShards: 3 }).get('forecast_inventory_dag')!, 'forecast_inventory_dag');
    expect(spec.tasks.map((t) => [t.task_id, t.upstream])).toEqual([
      ['prepare', []],
      ['forecast_shard_1', ['prepare']],
      ['forecast_shard_2', ['prepare']],
      ['forecast_shard_3', ['prepare']],
      ['publish', ['forecast_shard_1', 'forecast_shard_2', 'forecast_shard_3']],
      ['notify', ['publish']],
    ]);
    expect(spec.tasks.every((t) => t.trigger_dag_id === undefined)).toBe(true);
    expect(spec.max_active_runs).toBe(1);
  });

  it('embeds the spec as data: hostile text in it stays a string, and the file compiles as Python', () => {
    const spec = dagSpecFor(etl, 'etl_workflow_evil', { schedule: { cron: '0 9 * * *', timezone: 'UTC' } });
    spec.description = `"""\nimport os; os.system("rm -rf /")\n'''\\ \u2028 end`;
    const file = renderDagFile(spec);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-dag-'));
    const target = path.join(dir, 'dag.py');
    writeFileSync(target, file);
    execFileSync('python3', ['-m', 'py_compile', target]);
    // Python reads the embedded literal back as exactly the spec.
    const script = `import json,re,sys\nsrc=open(sys.argv[1]).read()\nm=re.search(r'^SPEC = json.loads\\((.*)\\)$', src, re.M)\nprint(json.dumps(json.loads(eval(m.group(1)))))`;
    const roundTrip = execFileSync('python3', ['-c', script, target]).toString();
    expect(JSON.parse(roundTrip)).toEqual(spec);
  });

  it('writes atomically, leaves an unchanged file alone, and removes only its own files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-dags-'));
    writeFileSync(path.join(dir, 'someone_else.py'), '# not ours\n');
    const folder = new DagFolder(dir);
    const spec = dagSpecFor(etl, 'etl_workflow_users', { schedule: { cron: '0 9 * * *', timezone: 'UTC' } });
    expect(await folder.write(spec)).toBe('created');
    expect(await folder.write(spec)).toBe('unchanged');
    expect(await folder.write({ ...spec, schedule: { cron: '0 10 * * *', timezone: 'UTC' } })).toBe('updated');
    expect(readFileSync(path.join(dir, dagFileName('etl_workflow_users')), 'utf8')).toContain('0 10 * * *');
    expect(await folder.list()).toEqual([dagFileName('etl_workflow_users')]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await folder.remove('etl_workflow_users')).toBe(true);
    expect(await folder.remove('etl_workflow_users')).toBe(false);
    expect(readdirSync(dir)).toEqual(['someone_else.py']);
  });
});
