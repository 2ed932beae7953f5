import { toColumnName } from '../mapping/index.js';
import { measureTable } from '../quality/index.js';
import { HttpExtraction } from '../connectors/http/extract.js';
import { registerSourceSecrets } from '../connectors/http/source-secrets.js';
import { isAppError, UserError } from '../errors/index.js';
import { landInRaw, loadFromRaw } from '../ingest/index.js';
import type { PipelineDefinition, TaskContext } from '../engine/index.js';
import type { PipelineDeps } from './deps.js';
import { triggerForecast } from './org-load.pipeline.js';

export const ETL_WORKFLOW = 'etl_workflow';
export const etlWorkflowDagId = (connectionId: string): string => `${ETL_WORKFLOW}_${connectionId}`;

const HOUR = 60 * 60_000;

/** Above this share of rejected records the health check fails the run: the source or the mapping changed. */
export const MAX_REJECTED_SHARE = 0.5;

const connectionOf = (ctx: TaskContext): string => {
  if (!ctx.connectionId) throw new UserError('invalid_config', `run ${ctx.runId} of ${ctx.dagId} names no connection`);
  return ctx.connectionId;
};

/**
 * `etl_workflow_<connectionId>`, the DAG of a connection (the first seed's
 * execute_workflow → health_check → send_notification, with the work split
 * in two so a failed load is retried without calling the API again):
 *
 *   extract (API → raw store) → load (raw → warehouse) → health_check → send_notification
 *
 * A health check that passes on a table whose forecast is on starts
 * forecast_inventory_dag for it, as the load of an upload does.
 *
 * The run's rows in the raw store are its source (`run`, run id), so a
 * retried extract rewrites them and a retried load replaces what the
 * previous try of the same run loaded: nothing is duplicated.
 *
 * Every task of the run masks the connection's secrets in what it logs,
 * stores and sends (`registerSecrets`), the extract also the OAuth access
 * tokens it obtains: a source that echoes a credential in an error cannot
 * make the run show it.
 */
export function etlWorkflowPipeline(deps: PipelineDeps): PipelineDefinition {
  return {
    name: ETL_WORKFLOW,
    description: 'Reads a REST API connection into the raw store, loads the records into its table, checks the result and notifies.',
    async registerSecrets(ctx) {
      try {
        const { config } = await deps.connections.getForExtraction(ctx.orgId, connectionOf(ctx));
        registerSourceSecrets(ctx.secrets, config);
      } catch (error) {
        // A deleted connection has no secrets left to show; its run still fails and notifies as it would.
        if (!(isAppError(error) && error.code === 'not_found')) throw error;
      }
    },
    tasks: [
      {
        id: 'extract',
        writes: 'raw',
        upstream: [],
        timeoutMs: 2 * HOUR,
        retry: { maxAttempts: 3, initialDelayMs: 15_000 },
        async run(ctx) {
          const connectionId = connectionOf(ctx);
          const { config, state } = await deps.connections.getForExtraction(ctx.orgId, connectionId);
          const table = config.destination?.table ?? toColumnName(config.name);
          const source = { kind: 'run' as const, id: ctx.runId };
          // A retried extract starts clean: the API may answer differently the second time.
          await deps.raw.deleteSource(ctx.orgId, table, source);
          const extraction = new HttpExtraction(config, { now: ctx.runStartedAt, ...state }, deps.client, { signal: ctx.signal, maxLoggedRequests: 200, secrets: ctx.secrets });
          let pages = 0;
          const landed = await landInRaw(deps.raw, ctx.orgId, table, source, extraction.batches(), {
            signal: ctx.signal,
            onBatch: (records) => {
              pages += 1;
              ctx.progress({ rows: records, message: `${pages} pages` });
              if (pages % 10 === 0) ctx.log.info(`read ${pages} pages, ${records} records so far`);
            },
          });
          if (extraction.cursorCandidate !== undefined) {
            await deps.connections.saveCursorCandidate(ctx.orgId, connectionId, extraction.cursorCandidate, ctx.runId);
          }
          ctx.log.info(`extracted ${landed.records} records in ${extraction.requestCount} requests (stopped: ${extraction.stopReason ?? 'end'})`, {
            requests: extraction.requests.slice(0, 20),
          });
          return {
            rowsOut: landed.records,
            output: { table, records: landed.records, requests: extraction.requestCount, stopReason: extraction.stopReason ?? null, cursorCandidate: extraction.cursorCandidate ?? null },
          };
        },
      },
      {
        id: 'load',
        writes: 'warehouse',
        upstream: ['extract'],
        timeoutMs: 2 * HOUR,
        retry: { maxAttempts: 3, initialDelayMs: 10_000 },
        async run(ctx) {
          const connectionId = connectionOf(ctx);
          const { config } = await deps.connections.getForExtraction(ctx.orgId, connectionId);
          const destination = config.destination ?? { table: toColumnName(config.name), writeMode: 'append' as const };
          const result = await loadFromRaw(deps.raw, deps.warehouse, {
            orgId: ctx.orgId,
            table: destination.table,
            source: { kind: 'run', id: ctx.runId },
            mappings: config.fieldMappings,
            writeMode: destination.writeMode,
            primaryKey: destination.primaryKey,
            runId: ctx.runId,
            sourceId: ctx.runId,
            signal: ctx.signal,
          });
          // The rows are committed: the cursor the extract saw may now become the connection's cursor.
          await deps.connections.commitCursor(ctx.orgId, connectionId, ctx.runId, ctx.runStartedAt);
          for (const note of result.notes) ctx.log.warn(note);
          ctx.log.info(`loaded ${result.loaded} rows into ${destination.table} (${destination.writeMode}); ${result.rejected} rejected`);
          return {
            rowsIn: result.received,
            rowsOut: result.loaded,
            rowsRejected: result.rejected,
            output: { table: destination.table, received: result.received, loaded: result.loaded, rejected: result.rejected, writeMode: destination.writeMode },
          };
        },
      },
      {
        id: 'health_check',
        upstream: ['load'],
        timeoutMs: 5 * 60_000,
        retry: { maxAttempts: 2, initialDelayMs: 5_000 },
        async run(ctx) {
          const extract = ctx.upstreamOutput('extract') ?? {};
          const load = ctx.upstreamOutput('load') ?? {};
          const records = Number(extract.records ?? 0);
          const received = Number(load.received ?? 0);
          const loaded = Number(load.loaded ?? 0);
          const rejected = Number(load.rejected ?? 0);
          const table = String(load.table ?? extract.table ?? '');
          const summary = (await deps.warehouse.listTables(ctx.orgId)).find((t) => t.name === table);
          const checks = [
            { name: 'every extracted record reached the load', ok: received === records, detail: `${records} extracted, ${received} read back from the raw store` },
            { name: 'every record was loaded or rejected with a reason', ok: loaded + rejected === received, detail: `${loaded} loaded + ${rejected} rejected of ${received}` },
            {
              name: `at most ${MAX_REJECTED_SHARE * 100}% of records rejected`,
              ok: received === 0 || rejected / received <= MAX_REJECTED_SHARE,
              detail: received === 0 ? 'no records' : `${((rejected / received) * 100).toFixed(1)}% rejected`,
            },
            { name: 'the table exists', ok: received === 0 || summary !== undefined, detail: summary ? `${table}: ${summary.rowCount} rows, ${summary.rejectedCount} rejected in all` : `${table} not found` },
          ];
          for (const c of checks) (c.ok ? ctx.log.info : ctx.log.error).call(ctx.log, `${c.ok ? 'ok' : 'FAILED'}: ${c.name} (${c.detail})`);
          if (summary && received > 0) {
            // The quality report of this load, as uploads get one (GET /api/tables/:table/quality).
            const { config } = await deps.connections.getForExtraction(ctx.orgId, connectionOf(ctx));
            await deps.quality.record(ctx.orgId, await measureTable(deps.warehouse, ctx.orgId, table, { runId: ctx.runId, loaded, rejected, key: config.destination?.primaryKey ?? null }));
          }
          if (records === 0) ctx.log.warn('the source returned no records');
          const failed = checks.filter((c) => !c.ok);
          if (failed.length > 0) {
            throw new UserError('health_check_failed', `health check failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`, { details: { checks } });
          }
          // A table whose forecast is on is forecast again after every load, as uploads are (trigger_forecast of the load DAG).
          const forecast = received > 0 && (await deps.tableSettings.get(ctx.orgId, table)).inventory ? (await triggerForecast(deps, ctx, table, ctx.dagId)).output : undefined;
          return { rowsIn: received, rowsOut: loaded, rowsRejected: rejected, output: { checks, tableRows: summary?.rowCount ?? 0, ...(forecast ? { forecast } : {}) } };
        },
      },
      {
        id: 'send_notification',
        upstream: ['health_check'],
        // Runs however the run went, so that failures are announced too.
        triggerRule: 'all_done',
        timeoutMs: 5 * 60_000,
        retry: { maxAttempts: 1 },
        async run(ctx) {
          const states = ctx.taskStates();
          const failed = Object.entries(states).filter(([id, s]) => id !== ctx.taskId && (s === 'failed' || s === 'upstream_failed'));
          const event = failed.length > 0 ? 'run.failed' : 'run.succeeded';
          const result = await deps.notifyRun(ctx.orgId, ctx.runId, event, ctx.signal, ctx.secrets);
          ctx.log.info(`${event}: ${result.sent} notification(s) sent, ${result.failed} failed, ${result.skipped} skipped`);
          return { output: { event, ...result } };
        },
      },
    ],
  };
}
