import { ForecastInputError, forecastItems, type ItemResult } from '../forecast/index.js';
import type { PipelineDefinition, TaskContext, TaskDefinition } from '../engine/index.js';
import { UserError } from '../errors/index.js';
import {
  emptyCounts,
  emptyStatusCounts,
  forecastColumns,
  forecastTable,
  FORECAST_DAG,
  planColumns,
  planTable,
  readHistory,
  surveyTable,
  type HistoryCounts,
  type NumericOrder,
  type PlanStatus,
  type ResolvedSettings,
  type StatusCounts,
} from '../forecasts/index.js';
import type { StagedTable } from '../stores/warehouse/index.js';
import type { PipelineDeps } from './deps.js';

const HOUR = 60 * 60_000;
/** Items whose results are written in one batch. */
const WRITE_ITEMS = 500;
/** Items at or below their reorder point named in the notification (the count says how many there are). */
export const NOTIFY_ITEMS = 20;
/** Staging tables of ended runs are dropped by the next run once they are this old. */
const STALE_STAGING_MS = 24 * HOUR;

export const shardTaskId = (n: number) => `forecast_shard_${n}`;

/** What `prepare` hands to the shards and to `publish`, per table. */
interface PreparedTable {
  table: string;
  settings: ResolvedSettings;
  dateOrder: NumericOrder;
  loadOrder: boolean;
  rows: number;
  rowsWithoutItem: number;
  items: number;
  shardItems: number[];
  staged: { forecast: StagedTable; plan: StagedTable };
}

interface Prepared {
  shards: number;
  items: number;
  tables: PreparedTable[];
}

/** What a shard hands to `publish`, per table. */
interface ShardTable {
  table: string;
  items: number;
  forecastRows: number;
  planRows: number;
  counts: StatusCounts;
  frequencies: Record<string, number>;
  history: HistoryCounts;
}

interface ShardOutput {
  part: number;
  attempt: number;
  tables: ShardTable[];
}

/** Reads the conf: `org_id` or `client_id` (the second seed's name) must be the run's organisation; `table` optional. */
export function forecastConf(ctx: TaskContext): { table: string | undefined } {
  const conf = ctx.conf as { org_id?: unknown; client_id?: unknown; table?: unknown };
  for (const field of ['org_id', 'client_id'] as const) {
    const named = conf[field];
    if (named !== undefined && named !== null && String(named) !== ctx.orgId) throw new UserError('forbidden_org', `conf.${field} ${JSON.stringify(named)} is not the run's organisation`);
  }
  if (conf.table !== undefined && conf.table !== null && (typeof conf.table !== 'string' || conf.table === '')) throw new UserError('invalid_config', 'conf.table: must be a table name');
  return { table: (conf.table as string | null | undefined) ?? undefined };
}

/** A number as the result tables keep it: finite, 4 decimals; null otherwise. */
const num = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10_000) / 10_000);

function forecastRows(values: readonly string[], result: ItemResult, runId: string): unknown[][] {
  return result.forecast.map((f) => [...values, f.period, num(f.forecast), num(f.lower), num(f.upper), result.plan.model, runId]);
}

function planRow(values: readonly string[], result: ItemResult, runId: string): unknown[] {
  const p = result.plan;
  return [
    ...values,
    num(p.onHand),
    p.demandClass,
    p.model,
    num(p.backtestMase),
    num(p.avgDailyDemand),
    num(p.leadTimeDays),
    num(p.leadTimeDemand),
    num(p.safetyStock),
    num(p.reorderPoint),
    num(p.orderQuantity),
    p.stockoutDate,
    num(p.daysOfCover),
    p.status,
    runId,
  ];
}

/** The shard's task: reads its items of every table, forecasts them on the process's pool and stages the results. */
function shardTask(deps: PipelineDeps, n: number): TaskDefinition {
  return {
    id: shardTaskId(n),
    upstream: ['prepare'],
    timeoutMs: 24 * HOUR,
    retry: { maxAttempts: 3, initialDelayMs: 10_000 },
    async run(ctx) {
      forecastConf(ctx);
      const prepared = ctx.upstreamOutput('prepare') as unknown as Prepared;
      const part = n - 1;
      const { db, schema } = await deps.warehouse.location(ctx.orgId);
      const outputs: ShardTable[] = [];
      const done: Record<string, number> = {};
      let itemsDone = 0;
      let rowsRead = 0;
      const total = prepared.tables.reduce((s, t) => s + (t.shardItems[part] ?? 0), 0);
      let rowsBefore = 0;
      const report = () => ctx.progress({ rows: rowsRead, items: itemsDone, totalItems: total, parts: done });
      for (const t of prepared.tables) {
        const tag = { part, attempt: ctx.attempt };
        // This shard's rows of earlier tries go; a lost try still writing is left out at publish.
        await deps.warehouse.derived.clearPart(ctx.orgId, t.staged.forecast, tag);
        await deps.warehouse.derived.clearPart(ctx.orgId, t.staged.plan, tag);
        const out: ShardTable = { table: t.table, items: 0, forecastRows: 0, planRows: 0, counts: emptyStatusCounts(), frequencies: {}, history: emptyCounts() };
        done[t.table] = 0;
        if ((t.shardItems[part] ?? 0) > 0) {
          const history = readHistory(
            { db, schema, table: t.table, settings: t.settings, dateOrder: t.dateOrder, loadOrder: t.loadOrder, shard: { index: part, count: prepared.shards }, signal: ctx.signal },
            out.history,
          );
          const values = new Map<string, string[]>();
          const inputs = (async function* () {
            for await (const item of history) {
              values.set(item.key, item.values);
              yield { key: item.key, rows: item.rows, ...(item.leadTimeDays === undefined ? {} : { leadTimeDays: item.leadTimeDays }) };
            }
          })();
          let forecastBatch: unknown[][] = [];
          let planBatch: unknown[][] = [];
          const flush = async () => {
            if (planBatch.length === 0) return;
            out.forecastRows += await deps.warehouse.derived.write(ctx.orgId, t.staged.forecast, tag, forecastBatch);
            out.planRows += await deps.warehouse.derived.write(ctx.orgId, t.staged.plan, tag, planBatch);
            forecastBatch = [];
            planBatch = [];
          };
          try {
            for await (const result of forecastItems(inputs, {
              pool: deps.forecastPool(),
              leadTimeDays: t.settings.leadTimeDays,
              serviceLevel: t.settings.serviceLevel,
              reviewPeriodDays: t.settings.reviewPeriodDays,
              frequency: t.settings.frequency,
              ...(t.settings.horizon === null ? {} : { horizon: t.settings.horizon }),
            })) {
              ctx.signal.throwIfAborted();
              const itemValues = values.get(result.key)!;
              values.delete(result.key);
              forecastBatch.push(...forecastRows(itemValues, result, ctx.runId));
              planBatch.push(planRow(itemValues, result, ctx.runId));
              out.items += 1;
              out.counts[result.plan.status as PlanStatus] += 1;
              out.frequencies[result.frequency] = (out.frequencies[result.frequency] ?? 0) + 1;
              itemsDone += 1;
              done[t.table] = out.items;
              rowsRead = rowsBefore + out.history.rowsRead;
              if (planBatch.length >= WRITE_ITEMS) {
                await flush();
                report();
              }
            }
          } catch (error) {
            // Bad input the core refuses (a value the reading should have caught): the user's data, not worth a retry.
            if (error instanceof ForecastInputError || (error instanceof RangeError && /^item "/.test(error.message))) {
              throw new UserError('forecast_no_data', `${t.table}: ${error.message}`, { cause: error });
            }
            throw error;
          }
          await flush();
        }
        const h = out.history;
        const skipped = h.skipped.noDate + h.skipped.badDate + h.skipped.noQuantity;
        ctx.log.info(`${t.table}: ${out.items} items forecast from ${h.rowsRead} rows`, { counts: out.counts, frequencies: out.frequencies });
        if (skipped > 0) {
          ctx.log.warn(
            `${t.table}: ${skipped} rows skipped (${h.skipped.noDate} without a date, ${h.skipped.badDate} with a date that cannot be read${h.badDates.length ? `, such as ${h.badDates.map((d) => JSON.stringify(d)).join(', ')}` : ''}, ${h.skipped.noQuantity} without a quantity)`,
          );
        }
        if (h.returns > 0) ctx.log.info(`${t.table}: ${h.returns} rows with negative quantities taken as returns, netted against their day's sales (${h.negativeDays} days net negative, counted as no demand)`);
        if (h.duplicates > 0) ctx.log.info(`${t.table}: ${h.duplicates} rows repeat an item and day: summed`);
        outputs.push(out);
        rowsBefore += h.rowsRead;
        rowsRead = rowsBefore;
        report();
      }
      const output: ShardOutput = { part, attempt: ctx.attempt, tables: outputs };
      return { rowsIn: outputs.reduce((s, o) => s + o.history.rowsRead, 0), rowsOut: itemsDone, output: output as unknown as Record<string, unknown> };
    },
  };
}

/**
 * `forecast_inventory_dag` (issue 15): per table whose forecast is on (or
 * the one in conf), the history read in item order, forecasts and plans
 * per item, both result tables published at once, reorders notified.
 *
 *   prepare → forecast_shard_1 … forecast_shard_N → publish → notify
 *
 * - `prepare` resolves each table's settings against its columns (column
 *   detection), counts its items per shard and stages the result tables.
 * - each shard reads the rows of its items (a hash of the item key) through
 *   a cursor in item order, one item at a time, forecasts them on the
 *   process's worker threads and writes the results under its try. Shards
 *   run side by side on whichever workers (or Airflow workers) claim them.
 * - `publish` keeps each shard's successful try only, checks the rows are
 *   all there, and swaps `<table>__forecast` and `<table>__plan` of every
 *   table in one transaction. A retried task never leaves half a result.
 * - `notify` sends `forecast.reorder` for tables with items at or below
 *   their reorder point.
 */
export function forecastInventoryPipeline(deps: PipelineDeps, shards: number): PipelineDefinition {
  const shardIds = Array.from({ length: shards }, (_, i) => shardTaskId(i + 1));
  return {
    name: FORECAST_DAG,
    description: "Forecasts demand per item of an organisation's inventory tables and publishes a reorder plan (<table>__forecast, <table>__plan).",
    tasks: [
      {
        id: 'prepare',
        upstream: [],
        timeoutMs: 2 * HOUR,
        retry: { maxAttempts: 3, initialDelayMs: 10_000 },
        async run(ctx) {
          const conf = forecastConf(ctx);
          const tables = await deps.forecasts.tablesToForecast(ctx.orgId, conf.table);
          await dropStaleStaging(deps, ctx);
          const { db, schema } = await deps.warehouse.location(ctx.orgId);
          const prepared: PreparedTable[] = [];
          for (const table of tables) {
            let settings: ResolvedSettings;
            try {
              settings = await deps.forecasts.resolve(ctx.orgId, table);
            } catch (error) {
              // Every enabled table is forecast unless named: one that cannot be is reported, the others go on.
              if (conf.table !== undefined || tables.length === 1) throw error;
              ctx.log.error(`${table}: not forecast: ${(error as Error).message}`);
              continue;
            }
            const survey = await surveyTable(db, schema, table, settings, shards);
            ctx.log.info(
              `${table}: ${survey.items} items in ${survey.rows} rows; date ${settings.dateColumn.name}, item ${settings.itemColumns.map((c) => c.name).join(' + ')}, quantity ${settings.quantityColumn.name}, on hand ${settings.onHandColumn?.name ?? 'none'}` +
                (settings.detected.length ? ` (detected: ${settings.detected.join(', ')})` : ''),
            );
            if (survey.rowsWithoutItem > 0) ctx.log.warn(`${table}: ${survey.rowsWithoutItem} rows name no item (${settings.itemColumns.map((c) => c.name).join(', ')} empty): left out`);
            if (survey.items === 0) {
              const error = new UserError('forecast_no_data', `table "${table}" has no row with an item (${settings.itemColumns.map((c) => c.name).join(', ')}): nothing to forecast`, { details: { table } });
              if (conf.table !== undefined || tables.length === 1) throw error;
              ctx.log.error(error.message);
              continue;
            }
            const staged = {
              forecast: await deps.warehouse.derived.stage(ctx.orgId, { table: forecastTable(table), columns: forecastColumns(settings), owner: ctx.runId }),
              plan: await deps.warehouse.derived.stage(ctx.orgId, { table: planTable(table), columns: planColumns(settings), owner: ctx.runId }),
            };
            prepared.push({ table, settings, dateOrder: survey.dateOrder, loadOrder: true, rows: survey.rows, rowsWithoutItem: survey.rowsWithoutItem, items: survey.items, shardItems: survey.shardItems, staged });
          }
          if (prepared.length === 0) throw new UserError('forecast_no_data', `no table could be forecast (${tables.join(', ')}): see the log`);
          const output: Prepared = { shards, items: prepared.reduce((s, t) => s + t.items, 0), tables: prepared };
          return { rowsIn: prepared.reduce((s, t) => s + t.rows, 0), rowsOut: output.items, output: output as unknown as Record<string, unknown> };
        },
      },
      ...shardIds.map((_, i) => shardTask(deps, i + 1)),
      {
        id: 'publish',
        upstream: shardIds,
        timeoutMs: 2 * HOUR,
        retry: { maxAttempts: 3, initialDelayMs: 10_000 },
        async run(ctx) {
          forecastConf(ctx);
          const prepared = ctx.upstreamOutput('prepare') as unknown as Prepared;
          const outputs = shardIds.map((id) => ctx.upstreamOutput(id) as unknown as ShardOutput);
          const requests = prepared.tables.flatMap((t) => {
            const parts = outputs.map((o) => ({ o, t: o.tables.find((x) => x.table === t.table)! }));
            const items = t.settings.itemColumns.map((c) => c.name);
            return [
              { staging: t.staged.forecast.staging, table: forecastTable(t.table), runId: ctx.runId, indexes: [items], parts: parts.map(({ o, t: s }) => ({ part: o.part, attempt: o.attempt, rows: s.forecastRows })) },
              { staging: t.staged.plan.staging, table: planTable(t.table), runId: ctx.runId, indexes: [items, ['status', 'stockout_date']], parts: parts.map(({ o, t: s }) => ({ part: o.part, attempt: o.attempt, rows: s.planRows })) },
            ];
          });
          await deps.warehouse.derived.publish(ctx.orgId, requests);
          const summaries = [];
          for (const t of prepared.tables) {
            const shardTables = outputs.map((o) => o.tables.find((x) => x.table === t.table)!);
            const counts = emptyStatusCounts();
            const frequencies: Record<string, number> = {};
            const skipped = { noDate: 0, badDate: 0, noQuantity: 0 };
            for (const s of shardTables) {
              for (const [k, v] of Object.entries(s.counts)) counts[k as PlanStatus] += v;
              for (const [k, v] of Object.entries(s.frequencies)) frequencies[k] = (frequencies[k] ?? 0) + v;
              for (const k of Object.keys(skipped) as (keyof typeof skipped)[]) skipped[k] += s.history.skipped[k];
            }
            const items = shardTables.reduce((s, x) => s + x.items, 0);
            const settings = {
              ...t.settings,
              dateOrder: t.dateOrder,
              frequencies,
              rows: t.rows,
              rowsWithoutItem: t.rowsWithoutItem,
              skipped,
              returns: shardTables.reduce((s, x) => s + x.history.returns, 0),
              duplicates: shardTables.reduce((s, x) => s + x.history.duplicates, 0),
            };
            await deps.forecasts.recordResult(ctx.orgId, { table: t.table, runId: ctx.runId, items, counts, settings });
            summaries.push({ table: t.table, items, counts });
            ctx.log.info(`${t.table}: published ${planTable(t.table)} (${items} items: ${Object.entries(counts).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`).join(', ')}) and ${forecastTable(t.table)}`);
          }
          return { rowsOut: summaries.reduce((s, x) => s + x.items, 0), output: { tables: summaries } };
        },
      },
      {
        id: 'notify',
        upstream: ['publish'],
        timeoutMs: 10 * 60_000,
        retry: { maxAttempts: 2, initialDelayMs: 5_000 },
        async run(ctx) {
          const published = ctx.upstreamOutput('publish') as { tables: { table: string; items: number; counts: StatusCounts }[] };
          const sent: Record<string, unknown>[] = [];
          for (const t of published.tables) {
            const count = t.counts.reorder_now;
            if (count === 0) continue;
            const plan = await deps.forecasts.plan(ctx.orgId, t.table, { status: 'reorder_now', limit: NOTIFY_ITEMS, offset: 0 });
            const result = await deps.notifyForecast(ctx.orgId, ctx.runId, { table: t.table, count, items: plan.items, itemColumns: plan.itemColumns }, ctx.signal);
            ctx.log.info(`${t.table}: ${count} items at or below their reorder point; forecast.reorder: ${result.sent} sent, ${result.failed} failed, ${result.skipped} skipped`);
            sent.push({ table: t.table, count, ...result });
          }
          if (sent.length === 0) ctx.log.info('no item at or below its reorder point: nothing to notify');
          return { output: { notified: sent } };
        },
      },
    ],
  };
}

/** Drops staging tables of this organisation's runs that ended a day ago or more (failed runs leave theirs). */
async function dropStaleStaging(deps: PipelineDeps, ctx: TaskContext): Promise<void> {
  const stale: string[] = [];
  for (const s of await deps.warehouse.derived.listStaged(ctx.orgId)) {
    if (s.owner === ctx.runId) continue;
    const run = s.owner ? await deps.findRun(ctx.orgId, s.owner) : undefined;
    if (!run || (run.endedAt !== null && Date.now() - new Date(run.endedAt).getTime() >= STALE_STAGING_MS)) stale.push(s.staging);
  }
  if (stale.length > 0) {
    await deps.warehouse.derived.dropStaged(ctx.orgId, stale);
    ctx.log.info(`dropped ${stale.length} staging tables of earlier runs`);
  }
}
