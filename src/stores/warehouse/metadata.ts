import type { Queryable } from '../../db/index.js';
import { iso } from '../../db/index.js';
import type { ColumnType, SchemaColumn } from '../../mapping/index.js';
import type { TableCounts } from './catalog.js';
import type { TableSummary } from './warehouse.schema.js';

/**
 * `warehouse_tables` in the metadata database: what the Data API lists
 * without opening every organisation's database. Written after each schema
 * change and load; on a server it lives in another database than the
 * tables, so it is updated right after the load commits (a crash in
 * between leaves it stale until the next change of that table, never the
 * data wrong); the exact counts live beside the tables (catalog.ts).
 */

interface MetadataRow {
  table_name: string;
  columns: SchemaColumn[];
  primary_key: string[] | null;
  row_count: number | string;
  rejected_count: number | string;
  updated_at: Date | string;
}

export interface TableMetadata {
  columns: SchemaColumn[];
  primaryKey: string[] | null;
}

const toSummary = (row: MetadataRow): TableSummary => ({
  name: row.table_name,
  rowCount: Number(row.row_count),
  rejectedCount: Number(row.rejected_count),
  columns: row.columns.map((c) => ({ name: c.name, type: c.type })),
  primaryKey: row.primary_key,
  updatedAt: iso(row.updated_at),
});

export async function listMetadata(q: Queryable, orgId: string): Promise<TableSummary[]> {
  const { rows } = await q.query<MetadataRow>(
    `SELECT table_name, columns, primary_key, row_count, rejected_count, updated_at
       FROM warehouse_tables WHERE org_id = $1 ORDER BY table_name`,
    [orgId],
  );
  return rows.map(toSummary);
}

export async function readMetadata(q: Queryable, orgId: string, table: string): Promise<TableMetadata | null> {
  const { rows } = await q.query<Pick<MetadataRow, 'columns' | 'primary_key'>>(
    'SELECT columns, primary_key FROM warehouse_tables WHERE org_id = $1 AND table_name = $2',
    [orgId, table],
  );
  const row = rows[0];
  return row === undefined ? null : { columns: row.columns, primaryKey: row.primary_key };
}

/**
 * Columns for the metadata: the table's columns and types, nullable when
 * it was before or this schema says so, or when this load lacks the column
 * (its new rows hold NULL there).
 */
export function describeColumns(
  columns: readonly { name: string; type: ColumnType }[],
  incoming: readonly SchemaColumn[],
  previous: readonly SchemaColumn[] | undefined,
): SchemaColumn[] {
  const now = new Map(incoming.map((c) => [c.name, c]));
  const before = new Map((previous ?? []).map((c) => [c.name, c]));
  return columns.map((c) => ({
    name: c.name,
    type: c.type,
    nullable: (before.get(c.name)?.nullable ?? false) || (now.get(c.name)?.nullable ?? true),
  }));
}

/**
 * Mirrors the table's shape and counts, unless a newer version is already
 * recorded (see COUNTERS_TABLE in catalog.ts).
 */
export async function writeMetadata(q: Queryable, orgId: string, table: string, meta: TableMetadata, counts: TableCounts): Promise<void> {
  await q.query(
    `INSERT INTO warehouse_tables AS w (org_id, table_name, columns, primary_key, row_count, rejected_count, version, updated_at)
     VALUES ($1, $2, $3::jsonb, $4::text[], $5, $6, $7, now())
     ON CONFLICT (org_id, table_name) DO UPDATE SET
       columns = EXCLUDED.columns,
       primary_key = EXCLUDED.primary_key,
       row_count = EXCLUDED.row_count,
       rejected_count = EXCLUDED.rejected_count,
       version = EXCLUDED.version,
       updated_at = now()
     WHERE w.version < EXCLUDED.version`,
    [orgId, table, JSON.stringify(meta.columns), meta.primaryKey, counts.rows, counts.rejected, counts.version],
  );
}
