import type { Actor } from '../auth/index.js';
import type { Database } from '../db/index.js';
import { nextFireTimes, resolveSchedule, type RunStore, type RunView, type ScheduleStore } from '../engine/index.js';
import { isAppError, notFound, UserError, validationFailed, type FieldIssue } from '../errors/index.js';
import type { TableSettingsStore } from '../files/index.js';
import { qualify, quoteIdent, type Warehouse } from '../stores/warehouse/index.js';
import type { TableColumn } from './detect.js';
import { emptyCounts, itemKey, readHistory } from './history.js';
import { findResult, forecastTable, listResults, PLAN_FIELDS, planTable, recordResult, type PlanStatus, type PublishedResult } from './results.js';
import {
  DEFAULT_LEAD_TIME_DAYS,
  DEFAULT_REVIEW_PERIOD_DAYS,
  DEFAULT_SERVICE_LEVEL,
  FREQUENCIES,
  requireResolved,
  resolveSettings,
  type ForecastSettingsInput,
  type ResolvedSettings,
  type StoredSettings,
} from './settings.js';

export const FORECAST_DAG = 'forecast_inventory_dag';

/** A table's forecast settings as `GET|PUT /api/tables/:table/forecast` answer them. */
export interface ForecastSettingsView {
  table: string;
  enabled: boolean;
  dateColumn: string | null;
  itemColumns: string[] | null;
  quantityColumn: string | null;
  onHandColumn: string | null;
  leadTimeDays: number;
  leadTimeColumn: string | null;
  serviceLevel: number;
  reviewPeriodDays: number;
  /** Periods to forecast; null: the default of each item's frequency. */
  horizon: number | null;
  frequency: (typeof FREQUENCIES)[number];
  schedule: { cron: string; timezone: string; nextRuns: string[] } | null;
  /** The settings whose column was detected from the table's columns, not set. */
  detected: string[];
  /** What stops the forecast from running now (a column missing or of the wrong type); empty when it can run. */
  issues: FieldIssue[];
  /** Whether the table exists yet (an upload with inventory=true turns the forecast on before its first load). */
  tableExists: boolean;
}

export interface ForecastTableSummary {
  table: string;
  enabled: boolean;
  /** The latest run that forecast this table (queued, running or ended), with items done so far. */
  lastRun: { runId: string; state: string; trigger: string; queuedAt: string; startedAt: string | null; endedAt: string | null; error: string | null; itemsDone: number; itemsTotal: number | null } | null;
  /** The result readers see now. */
  published: PublishedResult | null;
  issues: FieldIssue[];
}

export interface PlanQuery {
  status?: PlanStatus | undefined;
  q?: string | undefined;
  orderBy?: string | undefined;
  limit: number;
  offset: number;
}

export interface ForecastsServiceOptions {
  db: Database;
  warehouse: Warehouse;
  tableSettings: TableSettingsStore;
  runs: RunStore;
  schedules: ScheduleStore;
}

/**
 * Forecasts of an organisation's tables (issue 15): each table's settings
 * and schedule, which tables a trigger forecasts, and the published results
 * (`<table>__plan`, `<table>__forecast`) as the API and CLI read them.
 * The runs themselves are forecast_inventory_dag (src/pipelines).
 */
export class ForecastsService {
  constructor(private readonly o: ForecastsServiceOptions) {}

  /** The table's columns, or null when the organisation has no such table (yet). */
  async columnsOf(orgId: string, table: string): Promise<TableColumn[] | null> {
    const summary = (await this.o.warehouse.listTables(orgId)).find((t) => t.name === table);
    return summary ? summary.columns.map((c) => ({ name: c.name, type: c.type })) : null;
  }

  async stored(orgId: string, table: string): Promise<StoredSettings | null> {
    const { rows } = await this.o.db.query<{ settings: StoredSettings }>('SELECT settings FROM forecast_settings WHERE org_id = $1 AND table_name = $2', [orgId, table]);
    return rows[0]?.settings ?? null;
  }

  /** The settings of a table the organisation has, or has turned the forecast on for; `not_found` otherwise. */
  async getSettings(orgId: string, table: string, now = new Date()): Promise<ForecastSettingsView> {
    const [columns, stored, flags] = await Promise.all([this.columnsOf(orgId, table), this.stored(orgId, table), this.o.tableSettings.get(orgId, table)]);
    if (columns === null && stored === null && !flags.inventory) throw notFound('Table', table);
    return this.view(orgId, table, flags.inventory, stored ?? {}, columns, now);
  }

  private async view(orgId: string, table: string, enabled: boolean, stored: StoredSettings, columns: TableColumn[] | null, now: Date): Promise<ForecastSettingsView> {
    const resolution = columns === null ? null : resolveSettings(stored, columns);
    const schedule = await this.o.schedules.findTableSchedule(orgId, FORECAST_DAG, table);
    return {
      table,
      enabled,
      dateColumn: resolution?.columns.dateColumn ?? stored.dateColumn ?? null,
      itemColumns: resolution?.columns.itemColumns ?? stored.itemColumns ?? null,
      quantityColumn: resolution?.columns.quantityColumn ?? stored.quantityColumn ?? null,
      onHandColumn: resolution?.columns.onHandColumn ?? stored.onHandColumn ?? null,
      leadTimeDays: stored.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS,
      leadTimeColumn: resolution?.columns.leadTimeColumn ?? stored.leadTimeColumn ?? null,
      serviceLevel: stored.serviceLevel ?? DEFAULT_SERVICE_LEVEL,
      reviewPeriodDays: stored.reviewPeriodDays ?? DEFAULT_REVIEW_PERIOD_DAYS,
      horizon: stored.horizon ?? null,
      frequency: stored.frequency ?? 'auto',
      schedule: schedule
        ? { cron: schedule.cron_expression, timezone: schedule.timezone, nextRuns: nextFireTimes(schedule.cron_expression, schedule.timezone, now, 5).map((d) => d.toISOString()) }
        : null,
      detected: resolution?.detected ?? [],
      issues: resolution === null ? [{ field: 'table', message: `table "${table}" has no rows yet: its columns are detected at its first load` }] : resolution.issues,
      tableExists: columns !== null,
    };
  }

  /**
   * Saves a table's settings (replacing the previous ones; left-out columns
   * are detected). Columns that are named must exist with a fitting type,
   * and a forecast that is on must find every column it needs: otherwise
   * `forecast_column_invalid` naming the setting, and nothing is saved.
   */
  async putSettings(orgId: string, table: string, input: ForecastSettingsInput, actor: Actor, now = new Date()): Promise<ForecastSettingsView> {
    const columns = await this.columnsOf(orgId, table);
    if (columns === null) throw notFound('Table', table);
    const { enabled, ...stored } = input;
    const resolution = resolveSettings(stored, columns);
    // A forecast that is off may leave columns undetected, but may not name columns that do not fit.
    const namedColumn = (field: string) => field.startsWith('itemColumns.') || (['dateColumn', 'quantityColumn', 'onHandColumn', 'leadTimeColumn'].includes(field) && stored[field as keyof StoredSettings] != null);
    const blocking = enabled ? resolution.issues : resolution.issues.filter((i) => namedColumn(i.field));
    if (blocking.length > 0) requireResolved(table, { ...resolution, settings: null, issues: blocking });
    let schedule: { cronExpression: string; timezone: string } | undefined;
    if (input.schedule) {
      try {
        schedule = resolveSchedule({ cronExpression: input.schedule.cron, timezone: input.schedule.timezone ?? null });
      } catch (error) {
        if (!isAppError(error)) throw error;
        const issues = ((error.details as { issues?: FieldIssue[] } | undefined)?.issues ?? []).map((i) => ({ field: i.field === 'cronExpression' ? 'schedule.cron' : `schedule.${i.field}`, message: i.message }));
        throw validationFailed(issues.length ? issues : [{ field: 'schedule', message: error.message }], 'invalid_config');
      }
    }
    await this.o.db.query(
      `INSERT INTO forecast_settings (org_id, table_name, settings) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (org_id, table_name) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`,
      [orgId, table, JSON.stringify(stored)],
    );
    await this.o.tableSettings.set(orgId, table, { inventory: enabled });
    if (schedule && enabled) {
      await this.o.schedules.saveTableSchedule(
        {
          orgId,
          dagId: FORECAST_DAG,
          table,
          cronExpression: schedule.cronExpression,
          timezone: schedule.timezone,
          conf: { client_id: orgId, table, triggered_by: 'schedule' },
          nextFireAt: nextFireTimes(schedule.cronExpression, schedule.timezone, now, 1)[0] ?? null,
          createdBy: `${actor.type}:${actor.id ?? ''}`,
        },
        now,
      );
    } else {
      await this.o.schedules.deleteTableSchedule(orgId, FORECAST_DAG, table);
    }
    return this.view(orgId, table, enabled, stored, columns, now);
  }

  /** The settings a run of `table` uses, resolved now against its columns; `forecast_column_invalid` when they cannot serve. */
  async resolve(orgId: string, table: string): Promise<ResolvedSettings> {
    const columns = await this.columnsOf(orgId, table);
    if (columns === null) throw new UserError('forecast_no_data', `table "${table}" has no rows yet: load it first`, { details: { table } });
    return requireResolved(table, resolveSettings((await this.stored(orgId, table)) ?? {}, columns));
  }

  /** Records what a run published for a table (GET /api/forecasts shows it). */
  async recordResult(orgId: string, result: Omit<PublishedResult, 'publishedAt'>): Promise<void> {
    await recordResult(this.o.db, orgId, result);
  }

  /** The tables of the organisation whose forecast is on. */
  async enabledTables(orgId: string): Promise<string[]> {
    const { rows } = await this.o.db.query<{ table_name: string }>('SELECT table_name FROM table_settings WHERE org_id = $1 AND inventory ORDER BY table_name', [orgId]);
    return rows.map((r) => r.table_name);
  }

  /**
   * What a trigger forecasts: `table` when its forecast is on, else every
   * table whose forecast is on (loaded ones). `forecast_not_enabled` when
   * there is none; `not_found` for a table the organisation does not have.
   */
  async tablesToForecast(orgId: string, table?: string): Promise<string[]> {
    const enabled = await this.enabledTables(orgId);
    if (table !== undefined) {
      if (!enabled.includes(table)) {
        if ((await this.columnsOf(orgId, table)) === null) throw notFound('Table', table);
        throw new UserError('forecast_not_enabled', `the forecast of table "${table}" is off: turn it on with PUT /api/tables/${table}/forecast {"enabled": true}`, { details: { table } });
      }
      return [table];
    }
    const tables = (await this.o.warehouse.listTables(orgId)).map((t) => t.name);
    const ready = enabled.filter((t) => tables.includes(t));
    if (ready.length === 0) {
      throw new UserError(
        'forecast_not_enabled',
        enabled.length > 0
          ? `no table with its forecast on has been loaded yet (${enabled.join(', ')})`
          : 'no table of the organisation has its forecast on: upload with inventory=true, or PUT /api/tables/:table/forecast {"enabled": true}',
      );
    }
    return ready;
  }

  /** `GET /api/forecasts`: every table whose forecast is on or was published, with its last run and result. */
  async list(orgId: string): Promise<ForecastTableSummary[]> {
    const [enabled, results, runs, tables] = await Promise.all([this.enabledTables(orgId), listResults(this.o.db, orgId), this.o.runs.list(orgId, { dagId: FORECAST_DAG, limit: 50 }), this.o.warehouse.listTables(orgId)]);
    const names = [...new Set([...enabled, ...results.map((r) => r.table)])].sort();
    return Promise.all(
      names.map(async (table) => {
        const run = runs.find((r) => runCovers(r, table));
        const columns = tables.find((t) => t.name === table);
        const issues = enabled.includes(table)
          ? columns
            ? resolveSettings((await this.stored(orgId, table)) ?? {}, columns.columns).issues
            : [{ field: 'table', message: `table "${table}" has no rows yet` }]
          : [];
        return {
          table,
          enabled: enabled.includes(table),
          lastRun: run ? { runId: run.runId, state: run.state, trigger: run.trigger, queuedAt: run.queuedAt, startedAt: run.startedAt, endedAt: run.endedAt, error: run.error, ...forecastProgress(run, table) } : null,
          published: results.find((r) => r.table === table) ?? null,
          issues,
        };
      }),
    );
  }

  private async published(orgId: string, table: string): Promise<{ result: PublishedResult; db: Database; schema: string; items: string[] }> {
    const result = await findResult(this.o.db, orgId, table);
    if (!result) {
      if ((await this.columnsOf(orgId, table)) === null && !(await this.enabledTables(orgId)).includes(table)) throw notFound('Table', table);
      throw notFound('Forecast of table', table);
    }
    const { db, schema } = await this.o.warehouse.location(orgId);
    const items = (result.settings.itemColumns as { name: string }[] | undefined)?.map((c) => c.name) ?? [];
    return { result, db, schema, items };
  }

  /** `GET /api/forecasts/:table/items`: the plan, the items to reorder first (by stock-out date) unless `orderBy` says otherwise. */
  async plan(orgId: string, table: string, query: PlanQuery): Promise<{ table: string; runId: string; publishedAt: string; itemColumns: string[]; total: number; items: Record<string, unknown>[] }> {
    const { result, db, schema, items } = await this.published(orgId, table);
    const from = qualify(schema, planTable(table));
    const params: unknown[] = [];
    const where: string[] = [];
    if (query.status) where.push(`status = $${params.push(query.status)}`);
    if (query.q) where.push(`concat_ws(' ', ${items.map((c) => `${quoteIdent(c)}::text`).join(', ')}) ILIKE $${params.push(`%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
    const columns = [...items, ...PLAN_FIELDS.map((f) => f.name)];
    let order: string;
    if (query.orderBy) {
      const descending = query.orderBy.startsWith('-');
      const name = descending ? query.orderBy.slice(1) : query.orderBy;
      if (!columns.includes(name)) throw validationFailed([{ field: 'orderBy', message: `the plan has no column ${JSON.stringify(name)}; it has ${columns.join(', ')}` }]);
      order = `${quoteIdent(name)} ${descending ? 'DESC' : 'ASC'} NULLS LAST`;
    } else {
      order = `(status = 'reorder_now') DESC, stockout_date ASC NULLS LAST, days_of_cover ASC NULLS LAST`;
    }
    order += `, ${items.map(quoteIdent).join(', ')}`;
    const select = [
      ...items.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`),
      ...PLAN_FIELDS.map((f) => (f.type === 'number' ? `${quoteIdent(f.name)}::float8 AS ${quoteIdent(f.name)}` : f.type === 'date' ? `to_char(${quoteIdent(f.name)}, 'YYYY-MM-DD') AS ${quoteIdent(f.name)}` : quoteIdent(f.name))),
    ];
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const page = await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const { rows } = await tx.query<Record<string, unknown>>(
        `SELECT ${select.join(', ')} FROM ${from} ${filter} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, query.limit, query.offset],
      );
      const { rows: count } = await tx.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${from} ${filter}`, params);
      return { rows, total: Number(count[0]!.n) };
    });
    return {
      table,
      runId: result.runId,
      publishedAt: result.publishedAt,
      itemColumns: items,
      total: page.total,
      items: page.rows.map((row) => ({ key: itemKey(items.map((c) => String(row[c]))), ...row })),
    };
  }

  /** `GET /api/forecasts/:table/items/:key`: one item's plan, its history per day, its forecast with the 80 % band, and its projected stock. */
  async item(orgId: string, table: string, key: string) {
    const { result, db, schema, items } = await this.published(orgId, table);
    const values = valuesOf(key, items.length);
    if (values === null) throw notFound('Item', key);
    const match = items.map((c, i) => `${quoteIdent(c)}::text = $${i + 1}`).join(' AND ');
    const { rows: plans } = await db.query<Record<string, unknown>>(
      `SELECT ${PLAN_FIELDS.map((f) => (f.type === 'number' ? `${quoteIdent(f.name)}::float8 AS ${quoteIdent(f.name)}` : f.type === 'date' ? `to_char(${quoteIdent(f.name)}, 'YYYY-MM-DD') AS ${quoteIdent(f.name)}` : quoteIdent(f.name))).join(', ')}
         FROM ${qualify(schema, planTable(table))} WHERE ${match}`,
      values,
    );
    if (!plans[0]) throw notFound('Item', key);
    const { rows: forecast } = await db.query<{ period: string; forecast: number; lower: number; upper: number }>(
      `SELECT to_char(period, 'YYYY-MM-DD') AS period, forecast::float8 AS forecast, lower::float8 AS lower, upper::float8 AS upper
         FROM ${qualify(schema, forecastTable(table))} WHERE ${match} ORDER BY period`,
      values,
    );
    // The history as the run read it: the same columns, rows summed per day.
    let history: { date: string; quantity: number; onHand: number | null }[] = [];
    try {
      const settings = await this.resolve(orgId, table);
      const counts = emptyCounts();
      for await (const h of readHistory({ db, schema, table, settings, dateOrder: (result.settings.dateOrder as 'dmy' | 'mdy' | undefined) ?? 'dmy', loadOrder: true, item: values }, counts)) {
        history = h.rows.map((r) => ({ date: String(r.date), quantity: r.quantity, onHand: r.onHand ?? null })).sort((a, b) => a.date.localeCompare(b.date));
      }
    } catch (error) {
      // Settings changed since the run so that the history cannot be read: the plan and forecast still show.
      if (!isAppError(error)) throw error;
    }
    const plan = plans[0] as Record<string, unknown> & { on_hand: number | null; reorder_point: number | null };
    let stock = plan.on_hand;
    const projectedStock = stock === null ? [] : forecast.map((f) => ({ period: f.period, onHand: (stock = (stock as number) - f.forecast) }));
    return {
      table,
      key,
      item: Object.fromEntries(items.map((c, i) => [c, values[i]!])) as Record<string, string>,
      runId: result.runId,
      plan,
      history: history.slice(-400),
      forecast,
      projectedStock,
    };
  }
}

/** An item's values from its key (see `itemKey`), or null when the key cannot be one of `width` values. */
export function valuesOf(key: string, width: number): string[] | null {
  if (width === 1) return [key];
  try {
    const parsed = JSON.parse(key) as unknown;
    return Array.isArray(parsed) && parsed.length === width && parsed.every((v) => typeof v === 'string') ? (parsed as string[]) : null;
  } catch {
    return null;
  }
}

/** Whether a run forecasts `table`: its conf names it, or (no table in its conf) its preparation listed it or has not run yet. */
export function runCovers(run: RunView, table: string): boolean {
  const named = run.conf.table;
  if (typeof named === 'string') return named === table;
  const prepared = run.tasks.find((t) => t.taskId === 'prepare')?.output as { tables?: { table: string }[] } | null | undefined;
  return !prepared?.tables || prepared.tables.some((t) => t.table === table);
}

/** Items forecast so far of `table` in a run, and how many there are (once its preparation counted them). */
export function forecastProgress(run: RunView, table?: string): { itemsDone: number; itemsTotal: number | null } {
  const prepared = run.tasks.find((t) => t.taskId === 'prepare')?.output as { tables?: { table: string; items: number }[] } | null | undefined;
  const tables = prepared?.tables?.filter((t) => table === undefined || t.table === table);
  const itemsTotal = tables ? tables.reduce((s, t) => s + t.items, 0) : null;
  let itemsDone = 0;
  for (const task of run.tasks) {
    if (!task.taskId.startsWith('forecast_shard_')) continue;
    const output = task.output as { tables?: { table: string; items: number }[] } | null;
    const progress = task.progress as { tables?: Record<string, number>; items?: number } | null;
    if (task.state === 'success' && output?.tables) itemsDone += output.tables.filter((t) => table === undefined || t.table === table).reduce((s, t) => s + t.items, 0);
    else if (progress) itemsDone += table === undefined ? (progress.items ?? 0) : (progress.tables?.[table] ?? 0);
  }
  return { itemsDone, itemsTotal };
}
