import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { retryPolicy, type PipelineDefinition } from '../../engine/index.js';

/**
 * DAG files for Airflow: one Python file per DAG in AIRFLOW_DAGS_FOLDER,
 * built from the pipeline definitions the builtin engine runs, so both
 * orchestrators run the same tasks with the same dependencies, retries and
 * timeouts. The Python is a fixed template (templates/dag.py.tpl); what
 * varies is a JSON spec embedded in it, so no user text is ever spliced
 * into code.
 */
export interface DagSpec {
  dag_id: string;
  description: string;
  schedule: { cron: string; timezone: string } | null;
  paused: boolean;
  max_active_runs: number;
  tags: string[];
  retries: number;
  retry_delay_seconds: number;
  max_retry_delay_seconds: number;
  poll_seconds: number;
  tasks: {
    task_id: string;
    upstream: string[];
    trigger_rule: 'all_success' | 'all_done';
    timeout_seconds: number;
    retries: number;
    trigger_dag_id?: string;
    trigger_conf?: Record<string, string>;
  }[];
}

/** Files Sluice writes start with this, so `sync` never removes someone else's DAG. */
export const FILE_PREFIX = 'sluice__';

export function dagFileName(dagId: string): string {
  return `${FILE_PREFIX}${dagId.replace(/[^A-Za-z0-9_.-]/g, '_')}.py`;
}

export function dagSpecFor(
  pipeline: PipelineDefinition,
  dagId: string,
  options: { schedule?: { cron: string; timezone: string } | null; paused?: boolean; maxActiveRuns?: number; tags?: string[] } = {},
): DagSpec {
  const policies = pipeline.tasks.map((t) => retryPolicy(t.retry));
  return {
    dag_id: dagId,
    description: pipeline.description,
    schedule: options.schedule ?? null,
    paused: options.paused ?? false,
    max_active_runs: options.maxActiveRuns ?? 1,
    tags: ['sluice', pipeline.name, ...(options.tags ?? [])],
    retries: Math.max(0, Math.max(...policies.map((p) => p.maxAttempts)) - 1),
    retry_delay_seconds: Math.round(Math.min(...policies.map((p) => p.initialDelayMs)) / 1000),
    max_retry_delay_seconds: Math.round(Math.max(...policies.map((p) => p.maxDelayMs)) / 1000),
    poll_seconds: 2,
    tasks: pipeline.tasks.map((t, i) => ({
      task_id: t.id,
      upstream: [...t.upstream],
      trigger_rule: t.triggerRule ?? 'all_success',
      timeout_seconds: Math.ceil(t.timeoutMs / 1000),
      retries: Math.max(0, policies[i]!.maxAttempts - 1),
      ...(t.airflowTrigger ? { trigger_dag_id: t.airflowTrigger.dagId, trigger_conf: t.airflowTrigger.conf } : {}),
    })),
  };
}

let template: string | undefined;
const loadTemplate = () => (template ??= readFileSync(new URL('./templates/dag.py.tpl', import.meta.url), 'utf8'));

/** The Python file for a spec. The spec travels as a JSON string literal, which Python reads as the same string. */
export function renderDagFile(spec: DagSpec): string {
  const json = JSON.stringify(spec);
  const sha = createHash('sha256').update(json).digest('hex').slice(0, 16);
  return loadTemplate()
    .replaceAll('{{DAG_ID}}', spec.dag_id.replace(/[^\w.-]/g, '_'))
    .replace('{{SPEC_SHA}}', sha)
    .replace('{{SPEC_JSON}}', () => JSON.stringify(json));
}

/** The DAGs folder: atomic writes (temp file + rename), unchanged files left alone, only Sluice's files removed. */
export class DagFolder {
  constructor(readonly dir: string) {}

  /** Writes a DAG's file; `unchanged` when the same content is already there (Airflow does not re-parse it then). */
  async write(spec: DagSpec): Promise<'created' | 'updated' | 'unchanged'> {
    const content = renderDagFile(spec);
    const file = path.join(this.dir, dagFileName(spec.dag_id));
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current === content) return 'unchanged';
    await mkdir(this.dir, { recursive: true });
    // The temp name does not end in .py: the dag-processor must never parse a half-written file.
    const tmp = path.join(this.dir, `.${dagFileName(spec.dag_id)}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, file);
    return current === undefined ? 'created' : 'updated';
  }

  async remove(dagId: string): Promise<boolean> {
    const file = path.join(this.dir, dagFileName(dagId));
    const existed = await readFile(file).then(() => true).catch(() => false);
    await rm(file, { force: true });
    return existed;
  }

  /** The DAG files Sluice wrote, by file name. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => n.startsWith(FILE_PREFIX) && n.endsWith('.py')).sort();
  }
}
