import type { Command } from 'commander';
import {
  auditTrailOperation,
  forecastPlanOperation,
  ingestFileOperation,
  pipelineStatusOperation,
  qualityOperation,
  triggerForecastOperation,
  triggerIngestOperation,
  triggerLoadOperation,
} from '../../admin/index.js';
import type { RunView } from '../../engine/index.js';
import type { DagRun, TableStatus } from '../../runs/index.js';
import { contextOf } from '../context.js';
import type { Output } from '../output.js';
import { describeRun, RunProgress } from '../run-progress.js';
import { forecastProgress, PLAN_STATUSES } from '../../forecasts/index.js';
import { followRun, openRunner, type Runner } from '../runner.js';
import { failUnlessSucceeded } from './run.command.js';

const ago = (seconds: number | null) =>
  seconds === null ? '—' : seconds < 120 ? `${seconds} s ago` : seconds < 7200 ? `${Math.round(seconds / 60)} min ago` : seconds < 172_800 ? `${Math.round(seconds / 3600)} h ago` : `${Math.round(seconds / 86_400)} d ago`;
const runCell = (run: DagRun | null) => (run ? `${run.state}${run.end_date ? ` ${run.end_date.slice(0, 16).replace('T', ' ')}` : ''}` : '—');

/** A plain text table: columns padded to their widest cell. */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function describeStatus(result: { orgs: ({ org_id: string; name: string; tables: TableStatus[]; totals: { rows: number; failures: number; active_runs: number } })[] }, verbose: boolean): string {
  if (result.orgs.length === 0) return 'no organisations';
  return result.orgs
    .map((org) => {
      const head = `${org.org_id} (${org.name}): ${org.tables.length} table(s), ${org.totals.rows} rows, ${org.totals.failures} failed run(s) in 7 days, ${org.totals.active_runs} running`;
      if (org.tables.length === 0) return `${head}\n  no tables yet`;
      const rows = org.tables.map((t) => [t.table, String(t.row_count), String(t.rejected_count), runCell(t.last_ingest), runCell(t.last_load), runCell(t.last_forecast), String(t.failures), ago(t.freshness_seconds)]);
      let text = `${head}\n${table(['table', 'rows', 'rejected', 'last ingest', 'last load', 'last forecast', 'failures', 'updated'], rows)}`;
      if (verbose) {
        for (const t of org.tables) {
          text += `\n\n${t.table}: files ${t.files.total} (landed ${t.files.landed}, loaded ${t.files.loaded}, failed ${t.files.failed})`;
          if (t.connections.length > 0) text += `\n  fed by connection(s) ${t.connections.join(', ')}`;
          const runs = [t.last_ingest, t.last_load, t.last_forecast].filter((r): r is DagRun => r !== null);
          // A connection's run is both the ingest and the load of its table: shown once.
          for (const run of runs.filter((r, i) => runs.findIndex((x) => x.dag_run_id === r.dag_run_id) === i)) {
            text += `\n  ${run.dag_id} ${run.dag_run_id}: ${run.state}${run.error ? ` — ${run.error}` : ''}`;
            for (const task of run.tasks) text += `\n    ${task.task_id.padEnd(18)} ${task.state.padEnd(15)} try ${task.try_number}${task.rows_out === null ? '' : `  rows ${task.rows_out}`}${task.rows_rejected ? `  rejected ${task.rows_rejected}` : ''}${task.error ? `\n      ${task.error}` : ''}`;
          }
        }
      }
      return text;
    })
    .join('\n\n');
}

/** A forecast run's line: items forecast so far of all there are. */
const forecastRunProgress = (run: RunView): string | undefined => {
  const p = forecastProgress(run);
  if (p.itemsTotal === null) return undefined;
  return `${p.itemsDone.toLocaleString('en')} / ${p.itemsTotal.toLocaleString('en')} items (${p.itemsTotal ? Math.floor((p.itemsDone / p.itemsTotal) * 100) : 100}%)`;
};

/** Follows an ingest run, then the load run it triggered. */
async function followChain(runner: Runner, ingest: RunView, out: Output): Promise<RunView[]> {
  const progress = () => new RunProgress(process.stderr, !out.json);
  const first = await followRun(runner, ingest, progress(), out);
  if (first.state !== 'success') return [first];
  const loadRunId = first.tasks.find((t) => t.taskId === 'trigger_load')?.output?.dag_run_id;
  if (typeof loadRunId !== 'string') return [first];
  out.info(`load run ${loadRunId} started`);
  const load = await runner.getRun(first.orgId, loadRunId);
  return [first, await followRun(runner, load, progress(), out)];
}

async function withRunner<T>(command: Command, fn: (runner: Runner, out: Output) => Promise<T>): Promise<T> {
  const { config, out } = contextOf(command);
  const runner = await openRunner(config);
  try {
    return await fn(runner, out);
  } finally {
    await runner.close();
  }
}

interface TriggerOptions {
  orgId: string;
  table: string;
  fileId?: string;
  wait?: boolean;
}

export function registerPipeline(program: Command): void {
  const pipeline = program.command('pipeline').description("The pipeline manager: the org-aware pipelines' status, triggers, quality and audit");

  pipeline
    .command('status')
    .description('Per organisation and table: last ingest, load and forecast, row counts, freshness, failures')
    .option('--org-id <id>', 'one organisation (default: all)')
    .option('--verbose', 'add each run with its tasks, and file counts')
    .action(async (options: { orgId?: string; verbose?: boolean }, command: Command) => {
      // `--verbose` is also the program's own option; either place counts.
      const verbose = Boolean(options.verbose ?? command.optsWithGlobals<{ verbose?: boolean }>().verbose);
      await withRunner(command, async (runner, out) => {
        const result = await runner.exec(pipelineStatusOperation, { orgId: options.orgId });
        out.result(describeStatus(result, verbose), result);
      });
    });

  pipeline
    .command('ingest-file')
    .description('Upload a local file into a table and ingest it, waiting for the ingest and load runs')
    .requiredOption('--org-id <id>', 'organisation')
    .requiredOption('--table <table>', 'the table the rows go to')
    .option('--sheet <sheet>', 'for an .xlsx workbook: the sheet to read, by name or position from 1 (the first by default)')
    .option('--inventory', "sales-and-stock history: forecast the table after the load (the upload field inventory=true)")
    .argument('<path>', 'a CSV, TSV, JSON, NDJSON or Excel (.xlsx) file')
    .action(async (filePath: string, options: { orgId: string; table: string; sheet?: string; inventory?: boolean }, command: Command) => {
      await withRunner(command, async (runner, out) => {
        const { file, duplicate, run } = await runner.exec(ingestFileOperation, { orgId: options.orgId, table: options.table, path: filePath, sheet: options.sheet, ...(options.inventory ? { inventory: true } : {}) });
        out.info(`${duplicate ? 'already uploaded as' : 'uploaded as'} ${file.fileId} (${file.size} bytes); ingest run ${run.runId}`);
        const runs = await followChain(runner, run, out);
        out.result(runs.map(describeRun).join('\n'), { file_id: file.fileId, duplicate, runs });
        for (const r of runs) failUnlessSucceeded(r);
      });
    });

  pipeline
    .command('trigger-ingest')
    .description('Trigger enhanced_org_aware_ingest_dag for an uploaded file')
    .requiredOption('--org-id <id>', 'organisation')
    .requiredOption('--table <table>', 'table')
    .requiredOption('--file-id <id>', 'the uploaded file')
    .option('--wait', 'wait for the ingest and the load it triggers')
    .action(async (options: TriggerOptions, command: Command) => {
      await withRunner(command, async (runner, out) => {
        const run = await runner.exec(triggerIngestOperation, { orgId: options.orgId, table: options.table, fileId: options.fileId });
        if (!options.wait && runner.where !== 'here') return out.result(`${run.dagId} run ${run.runId}: ${run.state}`, { dag_id: run.dagId, dag_run_id: run.runId, state: run.state, conf: run.conf });
        const runs = await followChain(runner, run, out);
        out.result(runs.map(describeRun).join('\n'), { runs });
        for (const r of runs) failUnlessSucceeded(r);
      });
    });

  pipeline
    .command('trigger-postgres-load')
    .description("Trigger enhanced_mongo_to_postgres_dag: load a table's landed files into its typed table")
    .requiredOption('--org-id <id>', 'organisation')
    .requiredOption('--table <table>', 'table')
    .option('--wait', 'wait for the load')
    .action(async (options: TriggerOptions, command: Command) => {
      await withRunner(command, async (runner, out) => {
        let run = await runner.exec(triggerLoadOperation, { orgId: options.orgId, table: options.table });
        if (!options.wait && runner.where !== 'here') return out.result(`${run.dagId} run ${run.runId}: ${run.state}`, { dag_id: run.dagId, dag_run_id: run.runId, state: run.state, conf: run.conf });
        run = await followRun(runner, run, new RunProgress(process.stderr, !out.json), out);
        out.result(describeRun(run), run);
        failUnlessSucceeded(run);
      });
    });

  pipeline
    .command('trigger-forecast')
    .description('Trigger forecast_inventory_dag: forecast a table, or every table of the organisation whose forecast is on')
    .requiredOption('--client-id <id>', 'organisation (the second seed\'s name for it)')
    .option('--table <table>', 'one table (default: every table whose forecast is on)')
    .option('--wait', 'wait for the run, showing items forecast so far')
    .action(async (options: { clientId: string; table?: string; wait?: boolean }, command: Command) => {
      await withRunner(command, async (runner, out) => {
        let run = await runner.exec(triggerForecastOperation, { clientId: options.clientId, table: options.table });
        if (!options.wait && runner.where !== 'here') return out.result(`${run.dagId} run ${run.runId}: ${run.state}`, { dag_id: run.dagId, dag_run_id: run.runId, state: run.state, conf: run.conf });
        run = await followRun(runner, run, new RunProgress(process.stderr, !out.json, forecastRunProgress), out);
        const progress = forecastProgress(run);
        const published = run.tasks.find((t) => t.taskId === 'publish')?.output as { tables?: { table: string; items: number; counts: Record<string, number> }[] } | undefined;
        const lines = [describeRun(run), ...(published?.tables ?? []).map((t) => `  ${t.table}: ${t.items} items; ${PLAN_STATUSES.filter((k) => (t.counts[k] ?? 0) > 0).map((k) => `${t.counts[k]} ${k}`).join(', ')}`)];
        out.result(lines.join('\n'), { ...run, items_done: progress.itemsDone, items_total: progress.itemsTotal });
        failUnlessSucceeded(run);
      });
    });

  pipeline
    .command('forecast')
    .description("A table's reorder plan from its last forecast: items to reorder first")
    .requiredOption('--org-id <id>', 'organisation')
    .requiredOption('--table <table>', 'the table whose forecast to show')
    .option('--status <status>', `only items of this status (${PLAN_STATUSES.join(', ')})`)
    .option('--search <text>', 'only items whose item columns contain this text')
    .option('--limit <n>', 'how many items', (v) => Number(v), 50)
    .action(async (options: { orgId: string; table: string; status?: string; search?: string; limit: number }, command: Command) => {
      await withRunner(command, async (runner, out) => {
        const plan = await runner.exec(forecastPlanOperation, { orgId: options.orgId, table: options.table, status: options.status, q: options.search, limit: options.limit });
        const num = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? String(Math.round(v * 10) / 10) : String(v));
        const rows = plan.items.map((i) => [...plan.itemColumns.map((c) => String(i[c])), String(i.status), num(i.on_hand), num(i.reorder_point), num(i.order_quantity), num(i.stockout_date), num(i.days_of_cover), String(i.model)]);
        const head = `${plan.table}: ${plan.total} item(s)${options.status ? ` ${options.status}` : ''}; forecast by run ${plan.runId} at ${plan.publishedAt}`;
        out.result(
          rows.length ? `${head}\n${table([...plan.itemColumns, 'status', 'on hand', 'reorder point', 'order qty', 'stock-out', 'days of cover', 'model'], rows)}` : `${head}\nno items`,
          plan,
        );
      });
    });

  pipeline
    .command('quality')
    .description('Quality reports of a table: rows, rejected, null rate per column, duplicate keys')
    .requiredOption('--org-id <id>', 'organisation')
    .requiredOption('--table <table>', 'table')
    .option('--days <n>', 'how far back', (v) => Number(v), 7)
    .action(async (options: { orgId: string; table: string; days: number }, command: Command) => {
      await withRunner(command, async (runner, out) => {
        const result = await runner.exec(qualityOperation, { orgId: options.orgId, table: options.table, days: options.days });
        const text =
          result.reports.length === 0
            ? `no quality report for ${options.table} in the last ${options.days} day(s)`
            : result.reports
                .map((r) => {
                  const m = r.metrics;
                  const nulls = Object.entries(m.nullRate).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`);
                  return `${r.createdAt}  run ${r.runId}\n  rows ${m.rows}, loaded ${m.loaded}, rejected ${m.rejected}${m.duplicateKeys === null ? '' : `, duplicate keys ${m.duplicateKeys}`}\n  empty values: ${nulls.length ? nulls.join(', ') : 'none'}`;
                })
                .join('\n');
        out.result(text, result);
      });
    });

  pipeline
    .command('audit')
    .description("An organisation's audit trail, newest first")
    .requiredOption('--org-id <id>', 'organisation')
    .option('--limit <n>', 'how many events', (v) => Number(v), 50)
    .action(async (options: { orgId: string; limit: number }, command: Command) => {
      await withRunner(command, async (runner, out) => {
        const result = await runner.exec(auditTrailOperation, { orgId: options.orgId, limit: options.limit });
        const rows = result.events.map((e) => [e.createdAt, `${e.actor.type}:${e.actor.id ?? ''}`, e.action, e.target ?? '', e.outcome, e.errorCode ?? '']);
        out.result(rows.length ? table(['at', 'actor', 'action', 'target', 'outcome', 'error'], rows) : 'no events', result);
      });
    });
}
