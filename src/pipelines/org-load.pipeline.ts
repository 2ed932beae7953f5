import type { PipelineDefinition, TaskContext, TaskResult } from '../engine/index.js';
import { loadRawFast } from '../ingest/fast/index.js';
import { loadFromRaw } from '../ingest/index.js';
import { measureTable } from '../quality/index.js';
import type { PipelineDeps } from './deps.js';
import { FORECAST_DAG, ORG_LOAD_DAG, orgConf } from './org-ingest.pipeline.js';

const HOUR = 60 * 60_000;

/**
 * `enhanced_mongo_to_postgres_dag`: the raw rows of a table's landed files
 * into its typed table in the organisation's warehouse.
 *
 *   load_to_postgres → quality_check → trigger_forecast
 *
 * Each landed file is loaded as its own source (its id): loading a file
 * again replaces its rows, so a re-triggered or retried load never
 * duplicates them, and a file still being landed is never half-loaded.
 */
export function orgLoadPipeline(deps: PipelineDeps): PipelineDefinition {
  return {
    name: ORG_LOAD_DAG,
    description: "Loads the raw rows of a table's landed files into the organisation's typed table, measures quality and triggers the forecast for inventory tables.",
    tasks: [
      {
        id: 'load_to_postgres',
        writes: 'warehouse',
        upstream: [],
        timeoutMs: 4 * HOUR,
        retry: { maxAttempts: 3, initialDelayMs: 10_000 },
        async run(ctx) {
          const conf = orgConf(ctx, false);
          const settings = await deps.tableSettings.get(ctx.orgId, conf.table);
          const files = await deps.files.landed(ctx.orgId, conf.table);
          if (files.length === 0) ctx.log.info(`no landed file waits for ${conf.table}: nothing to load`);
          let received = 0;
          let loaded = 0;
          let rejected = 0;
          let watermark = settings.loadedWatermark;
          const done: { fileId: string; loaded: number; rejected: number }[] = [];
          for (const file of files) {
            const source = { kind: 'file' as const, id: file.fileId };
            const highWatermark = await deps.raw.highWatermark(ctx.orgId, conf.table);
            // Columns inferred when the file was landed: one pass over the raw rows, plain rows straight to COPY.
            const result = file.fieldMappings?.length
              ? {
                  ...(await loadRawFast(deps.raw, deps.warehouse, ctx.orgId, conf.table, {
                    mappings: file.fieldMappings,
                    source,
                    toWatermark: highWatermark,
                    writeMode: settings.writeMode,
                    primaryKey: settings.primaryKey ?? undefined,
                    runId: ctx.runId,
                    sourceId: file.fileId,
                    signal: ctx.signal,
                  })),
                  highWatermark,
                }
              : await loadFromRaw(deps.raw, deps.warehouse, {
                  orgId: ctx.orgId,
                  table: conf.table,
                  source,
                  mappings: [],
                  textValues: file.format === 'csv' || file.format === 'tsv',
                  writeMode: settings.writeMode,
                  primaryKey: settings.primaryKey ?? undefined,
                  runId: ctx.runId,
                  sourceId: file.fileId,
                  signal: ctx.signal,
                });
            if ('notes' in result) for (const note of result.notes) ctx.log.warn(note);
            await deps.files.markLoaded(ctx.orgId, file.fileId, { loaded: result.loaded, rejected: result.rejected, runId: ctx.runId });
            received += result.received;
            loaded += result.loaded;
            rejected += result.rejected;
            watermark = Math.max(watermark, result.highWatermark);
            done.push({ fileId: file.fileId, loaded: result.loaded, rejected: result.rejected });
            ctx.log.info(`file ${file.name}: ${result.loaded} rows loaded into ${conf.table}, ${result.rejected} rejected`, { fileId: file.fileId });
          }
          if (files.length > 0) await deps.tableSettings.set(ctx.orgId, conf.table, { loadedWatermark: watermark });
          return { rowsIn: received, rowsOut: loaded, rowsRejected: rejected, output: { table: conf.table, files: done, received, loaded, rejected, watermark } };
        },
      },
      {
        id: 'quality_check',
        upstream: ['load_to_postgres'],
        timeoutMs: 30 * 60_000,
        retry: { maxAttempts: 2, initialDelayMs: 5_000 },
        async run(ctx) {
          const conf = orgConf(ctx, false);
          const load = ctx.upstreamOutput('load_to_postgres') as { loaded: number; rejected: number; files: unknown[] };
          const settings = await deps.tableSettings.get(ctx.orgId, conf.table);
          const metrics = await measureTable(deps.warehouse, ctx.orgId, conf.table, { runId: ctx.runId, loaded: load.loaded, rejected: load.rejected, key: settings.primaryKey });
          if (load.files.length > 0) await deps.quality.record(ctx.orgId, metrics);
          const worst = Object.entries(metrics.nullRate).sort((a, b) => b[1] - a[1])[0];
          ctx.log.info(
            `${conf.table}: ${metrics.rows} rows; this load ${metrics.loaded} loaded, ${metrics.rejected} rejected` +
              (worst ? `; most empty column ${worst[0]} (${(worst[1] * 100).toFixed(1)}%)` : '') +
              (metrics.duplicateKeys === null ? '' : `; ${metrics.duplicateKeys} duplicate keys`),
          );
          return { rowsOut: metrics.rows, output: { ...metrics } };
        },
      },
      {
        id: 'trigger_forecast',
        upstream: ['quality_check'],
        timeoutMs: 5 * 60_000,
        async run(ctx) {
          const conf = orgConf(ctx, false);
          return triggerForecast(deps, ctx, conf.table, ORG_LOAD_DAG);
        },
      },
    ],
  };
}

/**
 * Starts forecast_inventory_dag for `table` after a load, when its forecast
 * is on: one run per load run (its id derives from the load's, so a retried
 * trigger finds the run it started instead of starting another).
 */
export async function triggerForecast(deps: PipelineDeps, ctx: TaskContext, table: string, triggeredBy: string): Promise<TaskResult> {
  const settings = await deps.tableSettings.get(ctx.orgId, table);
  if (!settings.inventory) {
    ctx.log.info(`${table} is not marked as inventory data: no forecast`);
    return { output: { triggered: false, reason: 'not inventory data' } };
  }
  const runId = await deps.triggerDag({
    orgId: ctx.orgId,
    dagId: FORECAST_DAG,
    trigger: 'upstream',
    runId: `${ctx.runId}__${FORECAST_DAG}`,
    conf: { client_id: ctx.orgId, table, triggered_by: triggeredBy, upstream_run_id: ctx.runId },
  });
  if (!runId) {
    ctx.log.warn(`${FORECAST_DAG} is not available: no forecast was started`);
    return { output: { triggered: false, reason: `${FORECAST_DAG} not available` } };
  }
  ctx.log.info(`triggered ${FORECAST_DAG} run ${runId} for ${table}`);
  return { output: { triggered: true, dag_id: FORECAST_DAG, dag_run_id: runId } };
}
