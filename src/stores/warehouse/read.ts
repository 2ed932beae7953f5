import { iso } from '../../db/index.js';
import { isAppError, notFound, validationFailed } from '../../errors/index.js';
import type { ColumnType } from '../../mapping/index.js';
import { readTable, type PhysicalTable } from './catalog.js';
import { PG_TYPES, readNumber, selectExpression } from './column-types.js';
import { isDerivedTableName } from './derived.js';
import { checkOrgId, isTableName, qualify, quoteIdent, rejectedTableName } from './identifiers.js';
import type { WarehouseContext } from './load.js';
import { listMetadata, readMetadata } from './metadata.js';
import {
  PageOptions,
  RowsOptions,
  type RejectedEntry,
  type RejectedPage,
  type RowsPage,
  type TableSummary,
  type WarehouseLocation,
} from './warehouse.schema.js';

/**
 * Reads for the Data API. A table is found through the organisation's own
 * entries in `warehouse_tables` first, so a name that is not the caller's
 * is `not_found` whatever exists elsewhere, then read from the
 * organisation's own database or schema.
 */

export async function listTables(ctx: WarehouseContext, orgId: string): Promise<TableSummary[]> {
  return listMetadata(ctx.metadata, checkOrgId(orgId));
}

export async function openTable(ctx: WarehouseContext, orgId: string, table: string): Promise<{ location: WarehouseLocation; physical: PhysicalTable }> {
  checkOrgId(orgId);
  if (!(isTableName(table) || isDerivedTableName(table)) || (await readMetadata(ctx.metadata, orgId, table)) === null) throw notFound('Table', String(table));
  const location = await ctx.locations.get(orgId);
  const physical = await readTable(location.db, location.schema, table);
  if (physical === null) throw notFound('Table', table);
  return { location, physical };
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, input: unknown): T {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw validationFailed(parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'options', message: i.message })));
}

/** Sluice's own columns as the Data API shows them. */
const SLUICE_READ_COLUMNS: { name: string; type: ColumnType | 'row_number' }[] = [
  { name: '_sluice_run_id', type: 'string' },
  { name: '_sluice_source_id', type: 'string' },
  { name: '_sluice_row_number', type: 'row_number' },
  { name: '_sluice_loaded_at', type: 'timestamp' },
];

// Ties broken by load and source order, so pages do not overlap or skip rows.
const TIE_BREAK = ['_sluice_loaded_at', '_sluice_source_id', '_sluice_row_number'];

export async function readRows(ctx: WarehouseContext, orgId: string, table: string, input: RowsOptions | undefined): Promise<RowsPage> {
  const options = parse(RowsOptions, input);
  const { location, physical } = await openTable(ctx, orgId, table);
  const columns = [...physical.columns, ...SLUICE_READ_COLUMNS.filter((c) => physical.sluiceColumns.has(c.name))];
  const names = new Set(columns.map((c) => c.name));

  const order: string[] = [];
  if (options.orderBy !== undefined && options.orderBy !== '') {
    const descending = options.orderBy.startsWith('-');
    const name = descending ? options.orderBy.slice(1) : options.orderBy;
    if (!names.has(name)) {
      throw validationFailed([{ field: 'orderBy', message: `table "${table}" has no column ${JSON.stringify(name)}; it has ${[...names].join(', ')}` }]);
    }
    order.push(`t.${quoteIdent(name)}${descending ? ' DESC' : ''}`);
  }
  // Qualified with the table's alias: the bare name would sort by the output column, which may be text.
  for (const name of TIE_BREAK) if (names.has(name)) order.push(`t.${quoteIdent(name)}`);
  // A derived table (replaced whole, never updated in place) has none of those: its rows' places break ties.
  if (!TIE_BREAK.some((name) => names.has(name))) order.push('t.ctid');

  const from = qualify(location.schema, table);
  const numeric = columns.filter((c) => c.type === 'integer' || c.type === 'number').map((c) => c.name);
  return location.db.transaction(async (tx) => {
    // One snapshot for the page and the total.
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const { rows } = await tx.query<Record<string, unknown>>(
      `SELECT ${columns.map((c) => selectExpression(c.name, c.type)).join(', ')} FROM ${from} AS t
        ${order.length > 0 ? `ORDER BY ${order.join(', ')}` : ''} LIMIT $1 OFFSET $2`,
      [options.limit, options.offset],
    );
    const { rows: count } = await tx.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${from}`);
    for (const row of rows) for (const name of numeric) row[name] = readNumber(row[name] as string | null);
    return { rows, total: Number(count[0]!.n) };
  });
}

interface RejectedRow {
  raw: unknown;
  field: string | null;
  reason: string;
  run_id: string | null;
  source_id: string | null;
  row_number: number | null;
  rejected_at: Date | string;
}

export async function readRejected(ctx: WarehouseContext, orgId: string, table: string, input: PageOptions | undefined): Promise<RejectedPage> {
  const options = parse(PageOptions, input);
  const { location } = await openTable(ctx, orgId, table);
  // A derived table (`<table>__plan`) is computed, not loaded: it never rejects a row.
  if (isDerivedTableName(table)) return { rows: [], total: 0 };
  const from = qualify(location.schema, rejectedTableName(table));
  return location.db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const { rows } = await tx.query<RejectedRow>(
      `SELECT raw, field, reason, run_id, source_id, row_number, rejected_at FROM ${from}
        ORDER BY min(id) OVER (PARTITION BY source_id), row_number NULLS LAST, id LIMIT $1 OFFSET $2`,
      [options.limit, options.offset],
    );
    const { rows: count } = await tx.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${from}`);
    return {
      rows: rows.map(
        (r): RejectedEntry => ({
          raw: r.raw,
          field: r.field,
          reason: r.reason,
          runId: r.run_id,
          sourceId: r.source_id,
          rowNumber: r.row_number,
          rejectedAt: iso(r.rejected_at),
        }),
      ),
      total: Number(count[0]!.n),
    };
  });
}

/**
 * How many of `keys` (values of `keyColumns`, in that order) the table holds:
 * what a dry run needs to tell inserts from updates. A table or key column
 * that does not exist yet holds none.
 */
export async function countExistingKeys(ctx: WarehouseContext, orgId: string, table: string, keyColumns: readonly string[], keys: readonly (readonly unknown[])[]): Promise<number> {
  if (keys.length === 0 || keyColumns.length === 0) return 0;
  let opened;
  try {
    opened = await openTable(ctx, orgId, table);
  } catch (error) {
    if (isAppError(error) && error.code === 'not_found') return 0;
    throw error;
  }
  const { location, physical } = opened;
  const types = keyColumns.map((name) => physical.columns.find((c) => c.name === name)?.type);
  if (types.some((t) => t === undefined)) return 0;
  const text = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const match = keyColumns.map((name, i) => `t.${quoteIdent(name)} = k.c${i}::${PG_TYPES[types[i]!]}`).join(' AND ');
  const { rows } = await location.db.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM (SELECT DISTINCT * FROM unnest(${keyColumns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS k(${keyColumns.map((_, i) => `c${i}`).join(', ')})) k
      WHERE EXISTS (SELECT 1 FROM ${qualify(location.schema, table)} t WHERE ${match})`,
    keyColumns.map((_, i) => keys.map((key) => text(key[i]))),
  );
  return Number(rows[0]!.n);
}
