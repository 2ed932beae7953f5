import type { Queryable } from '../db/index.js';
import { iso } from '../db/index.js';
import type { DerivedColumn } from '../stores/warehouse/index.js';
import type { ResolvedSettings } from './settings.js';

/**
 * The two tables a forecast run publishes per table, and the summary of
 * the last publish kept in the metadata database (`forecast_results`).
 */

export const PLAN_STATUSES = ['reorder_now', 'ok', 'overstock', 'no_demand', 'too_short'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

export const forecastTable = (table: string) => `${table}__forecast`;
export const planTable = (table: string) => `${table}__plan`;

/** `<table>__forecast`: the item columns as in the source, then one row per item and period. */
export function forecastColumns(settings: ResolvedSettings): DerivedColumn[] {
  return [
    ...settings.itemColumns.map((c) => ({ name: c.name, type: c.type })),
    { name: 'period', type: 'date' },
    { name: 'forecast', type: 'number' },
    { name: 'lower', type: 'number' },
    { name: 'upper', type: 'number' },
    { name: 'model', type: 'string' },
    { name: 'run_id', type: 'string' },
  ];
}

/** The plan's columns after the item columns, in order. */
export const PLAN_FIELDS: readonly DerivedColumn[] = [
  { name: 'on_hand', type: 'number' },
  { name: 'demand_class', type: 'string' },
  { name: 'model', type: 'string' },
  { name: 'backtest_mase', type: 'number' },
  { name: 'avg_daily_demand', type: 'number' },
  { name: 'lead_time_days', type: 'number' },
  { name: 'lead_time_demand', type: 'number' },
  { name: 'safety_stock', type: 'number' },
  { name: 'reorder_point', type: 'number' },
  { name: 'order_quantity', type: 'number' },
  { name: 'stockout_date', type: 'date' },
  { name: 'days_of_cover', type: 'number' },
  { name: 'status', type: 'string' },
  { name: 'run_id', type: 'string' },
];

/** `<table>__plan`: the item columns as in the source, then the plan of each item. */
export function planColumns(settings: ResolvedSettings): DerivedColumn[] {
  return [...settings.itemColumns.map((c) => ({ name: c.name, type: c.type })), ...PLAN_FIELDS];
}

export type StatusCounts = Record<PlanStatus, number>;
export const emptyStatusCounts = (): StatusCounts => ({ reorder_now: 0, ok: 0, overstock: 0, no_demand: 0, too_short: 0 });

export interface PublishedResult {
  table: string;
  runId: string;
  publishedAt: string;
  items: number;
  counts: StatusCounts;
  /** What the run used: columns, lead time, service level, the frequencies found... */
  settings: Record<string, unknown>;
}

interface ResultRow {
  table_name: string;
  run_id: string;
  published_at: Date | string;
  items: string | number;
  counts: StatusCounts;
  settings: Record<string, unknown>;
}

const toResult = (r: ResultRow): PublishedResult => ({
  table: r.table_name,
  runId: r.run_id,
  publishedAt: iso(r.published_at),
  items: Number(r.items),
  counts: { ...emptyStatusCounts(), ...r.counts },
  settings: r.settings,
});

export async function recordResult(q: Queryable, orgId: string, result: Omit<PublishedResult, 'publishedAt'>): Promise<void> {
  await q.query(
    `INSERT INTO forecast_results (org_id, table_name, run_id, published_at, items, counts, settings)
     VALUES ($1, $2, $3, now(), $4, $5::jsonb, $6::jsonb)
     ON CONFLICT (org_id, table_name) DO UPDATE SET run_id = EXCLUDED.run_id, published_at = EXCLUDED.published_at,
       items = EXCLUDED.items, counts = EXCLUDED.counts, settings = EXCLUDED.settings`,
    [orgId, result.table, result.runId, result.items, JSON.stringify(result.counts), JSON.stringify(result.settings)],
  );
}

export async function listResults(q: Queryable, orgId: string): Promise<PublishedResult[]> {
  const { rows } = await q.query<ResultRow>('SELECT * FROM forecast_results WHERE org_id = $1 ORDER BY table_name', [orgId]);
  return rows.map(toResult);
}

export async function findResult(q: Queryable, orgId: string, table: string): Promise<PublishedResult | undefined> {
  const { rows } = await q.query<ResultRow>('SELECT * FROM forecast_results WHERE org_id = $1 AND table_name = $2', [orgId, table]);
  return rows[0] ? toResult(rows[0]) : undefined;
}
