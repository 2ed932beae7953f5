import type { Queryable } from '../../db/index.js';
import { UserError } from '../../errors/index.js';
import { widenType, type ColumnType, type SchemaColumn } from '../../mapping/index.js';
import { PG_TYPES, typeFromCatalog, widenUsing } from './column-types.js';
import { checkColumnName, qualify, quoteIdent, rejectedTableName } from './identifiers.js';

/**
 * A table's shape, read from PostgreSQL's catalog (the truth) rather than
 * from `warehouse_tables` (the summary for the API), and the DDL that
 * creates or evolves it.
 */

/** Sluice's own columns, present in every table. */
export const SLUICE_COLUMNS = [
  { name: '_sluice_run_id', ddl: 'text' },
  { name: '_sluice_source_id', ddl: 'text' },
  { name: '_sluice_row_number', ddl: 'integer' },
  { name: '_sluice_loaded_at', ddl: 'timestamptz NOT NULL DEFAULT now()' },
] as const;

export const isSluiceColumn = (name: string): boolean => name.startsWith('_sluice_');

export interface PhysicalColumn {
  name: string;
  type: ColumnType;
}

export interface PhysicalTable {
  /** Mapped columns in table order, Sluice's own excluded. */
  columns: PhysicalColumn[];
  /** Sluice's own columns present. */
  sluiceColumns: Set<string>;
  /** Columns of the `<table>__pkey` unique index, or null. */
  primaryKey: string[] | null;
}

/** Index names derived from the table name (see identifiers.ts for why `__`). */
export const indexNames = (table: string) => ({
  primaryKey: `${table}__pkey`,
  source: `${table}__source`,
  rejectedSource: `${table}__rsource`,
});

/** The table as it is now, or null when it does not exist. */
export async function readTable(q: Queryable, schema: string, table: string): Promise<PhysicalTable | null> {
  const { rows } = await q.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [qualify(schema, table)],
  );
  // Every table Sluice makes has its own columns, so no columns means no table.
  if (rows.length === 0) return null;
  const columns: PhysicalColumn[] = [];
  const sluiceColumns = new Set<string>();
  for (const row of rows) {
    if (isSluiceColumn(row.name)) {
      sluiceColumns.add(row.name);
      continue;
    }
    const type = typeFromCatalog(row.type);
    if (type === null) {
      throw new UserError(
        'invalid_config',
        `column "${row.name}" of table "${table}" has type ${row.type}, which Sluice does not manage; change it back or rename the column`,
      );
    }
    columns.push({ name: row.name, type });
  }
  const { rows: keys } = await q.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indexrelid = to_regclass($1)
      ORDER BY k.position`,
    [qualify(schema, indexNames(table).primaryKey)],
  );
  return { columns, sluiceColumns, primaryKey: keys.length > 0 ? keys.map((k) => k.name) : null };
}

export interface SchemaPlan {
  /** Every mapped column of the table after the change, in table order. */
  columns: PhysicalColumn[];
  added: PhysicalColumn[];
  widened: { name: string; from: ColumnType; to: ColumnType }[];
}

/** Validates a load's schema: names, no duplicates. */
export function checkSchema(columns: readonly SchemaColumn[]): void {
  const seen = new Set<string>();
  for (const column of columns) {
    checkColumnName(column.name);
    if (seen.has(column.name)) throw new UserError('invalid_config', `column "${column.name}" appears twice in the schema`);
    seen.add(column.name);
  }
}

/**
 * What the table must become to hold rows of `incoming`: new columns added
 * at the end, existing ones widened when the lattice of src/mapping says
 * the union is wider, never narrowed (a text column stays text when
 * integers arrive; the loader writes them as text).
 */
export function planSchema(existing: readonly PhysicalColumn[], incoming: readonly SchemaColumn[]): SchemaPlan {
  const columns = existing.map((c) => ({ ...c }));
  const byName = new Map(columns.map((c) => [c.name, c]));
  const added: PhysicalColumn[] = [];
  const widened: SchemaPlan['widened'] = [];
  for (const column of incoming) {
    const current = byName.get(column.name);
    if (current === undefined) {
      const next = { name: column.name, type: column.type };
      columns.push(next);
      byName.set(next.name, next);
      added.push(next);
    } else if (current.type !== column.type) {
      const to = widenType(current.type, column.type);
      if (to !== current.type) {
        widened.push({ name: current.name, from: current.type, to });
        current.type = to;
      }
    }
  }
  return { columns, added, widened };
}

const columnDdl = (c: PhysicalColumn): string => `${quoteIdent(c.name)} ${PG_TYPES[c.type]}`;

/** CREATE TABLE with the mapped columns first, then Sluice's own. */
export function createTableSql(schema: string, table: string, columns: readonly PhysicalColumn[]): string {
  const defs = [...columns.map(columnDdl), ...SLUICE_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.ddl}`)];
  return `CREATE TABLE ${qualify(schema, table)} (${defs.join(', ')})`;
}

/** Brings an existing table to `plan` (one ALTER TABLE), adding any of Sluice's columns it lacks. */
export async function alterTable(q: Queryable, schema: string, table: string, current: PhysicalTable, plan: SchemaPlan): Promise<void> {
  const actions = [
    ...plan.added.map((c) => `ADD COLUMN ${columnDdl(c)}`),
    ...SLUICE_COLUMNS.filter((c) => !current.sluiceColumns.has(c.name)).map((c) => `ADD COLUMN ${quoteIdent(c.name)} ${c.ddl}`),
    ...plan.widened.map((w) => `ALTER COLUMN ${quoteIdent(w.name)} TYPE ${PG_TYPES[w.to]} USING ${widenUsing(w.name, w.from, w.to)}`),
  ];
  if (actions.length > 0) await q.query(`ALTER TABLE ${qualify(schema, table)} ${actions.join(', ')}`);
}

/** The rejected-rows table of `table`, and its index by source (for replacing a source's rejects). */
export async function ensureRejectedTable(q: Queryable, schema: string, table: string): Promise<void> {
  const name = qualify(schema, rejectedTableName(table));
  await q.query(
    `CREATE TABLE IF NOT EXISTS ${name} (
       id bigint GENERATED ALWAYS AS IDENTITY,
       raw jsonb,
       field text,
       reason text NOT NULL,
       run_id text,
       source_id text,
       row_number integer,
       rejected_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  await q.query(`CREATE INDEX IF NOT EXISTS ${quoteIdent(indexNames(table).rejectedSource)} ON ${name} (source_id)`);
}

/**
 * The index by source, which finds a source's rows when it is loaded again,
 * and the unique index of the primary key. `onTable` is the table to index
 * (a swap table during replace).
 *
 * The source index is BRIN, not a b-tree: a load appends its rows in one
 * run of pages, so block ranges hold one source or a few and min/max per
 * range narrows the search well, while maintaining it costs next to nothing
 * per row (a b-tree on a text column cost the COPY 10-40%). Ranges are
 * summarised by autovacuum (`autosummarize`); until then they are scanned.
 */
export async function ensureIndexes(q: Queryable, schema: string, onTable: string, primaryKey: readonly string[] | null): Promise<void> {
  const names = indexNames(onTable);
  await q.query(
    `CREATE INDEX IF NOT EXISTS ${quoteIdent(names.source)} ON ${qualify(schema, onTable)} USING brin (_sluice_source_id) WITH (autosummarize = on)`,
  );
  if (primaryKey !== null) {
    try {
      await q.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(names.primaryKey)} ON ${qualify(schema, onTable)} (${primaryKey.map(quoteIdent).join(', ')})`,
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new UserError('invalid_config', `the rows already in the table repeat values of the primary key (${primaryKey.join(', ')}): it cannot become the key`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

/**
 * `_sluice_tables`, in each organisation's own schema: the exact row and
 * rejected counts of its tables, changed in the same transaction as the
 * rows, and a version that grows with every change. `warehouse_tables` in
 * the metadata database mirrors them after the commit, keeping only the
 * newest version, so two loads finishing out of order cannot leave it stale.
 * (`_sluice_` names cannot clash with a user's table.)
 */
export const COUNTERS_TABLE = '_sluice_tables';

/**
 * Versions grow by one per change and never fall behind the clock (in
 * milliseconds), so a table whose counts start over (its database dropped
 * and made again) still outranks what the metadata recorded before.
 */
const CLOCK_VERSION = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;

export async function ensureCountersTable(q: Queryable, schema: string): Promise<void> {
  try {
    await q.query(
      `CREATE TABLE IF NOT EXISTS ${qualify(schema, COUNTERS_TABLE)} (
         table_name text PRIMARY KEY,
         row_count bigint NOT NULL,
         rejected_count bigint NOT NULL,
         version bigint NOT NULL
       )`,
    );
  } catch (error) {
    // Two processes creating it at once: the loser's catalog insert collides
    // (23505), or it trips over the row type the winner just made (42710),
    // or sees the table (42P07). Either way the table is there.
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P07' && code !== '42710') throw error;
  }
}

export interface TableCounts {
  rows: number;
  rejected: number;
  version: number;
}

/**
 * Records a table's counts: `set` when they are known outright (a new or
 * replaced table), `add` to change them by what a load deleted and wrote.
 * A table without counts yet (made before they existed, or by hand) is
 * counted once. Returns the counts now and their version.
 */
export async function recordCounts(
  q: Queryable,
  schema: string,
  table: string,
  change: { set: { rows: number; rejected: number } } | { add: { rows: number; rejected: number } } | { keep: true },
): Promise<TableCounts> {
  const counters = qualify(schema, COUNTERS_TABLE);
  const { rows: found } = await q.query<{ n: number }>(`SELECT 1 AS n FROM ${counters} WHERE table_name = $1`, [table]);
  let set = 'set' in change ? change.set : null;
  if (set === null && found.length === 0) {
    const { rows } = await q.query<{ rows: number | string; rejected: number | string }>(
      `SELECT (SELECT count(*) FROM ${qualify(schema, table)}) AS rows, (SELECT count(*) FROM ${qualify(schema, rejectedTableName(table))}) AS rejected`,
    );
    set = { rows: Number(rows[0]!.rows), rejected: Number(rows[0]!.rejected) };
  }
  const delta = set === null && 'add' in change ? change.add : { rows: 0, rejected: 0 };
  const { rows } = await q.query<{ row_count: number | string; rejected_count: number | string; version: number | string }>(
    `INSERT INTO ${counters} AS c (table_name, row_count, rejected_count, version) VALUES ($1, $2, $3, ${CLOCK_VERSION})
     ON CONFLICT (table_name) DO UPDATE SET
       row_count = CASE WHEN $4 THEN EXCLUDED.row_count ELSE c.row_count + $5 END,
       rejected_count = CASE WHEN $4 THEN EXCLUDED.rejected_count ELSE c.rejected_count + $6 END,
       version = GREATEST(c.version + 1, EXCLUDED.version)
     RETURNING row_count, rejected_count, version`,
    [table, set?.rows ?? 0, set?.rejected ?? 0, set !== null, delta.rows, delta.rejected],
  );
  const row = rows[0]!;
  return { rows: Number(row.row_count), rejected: Number(row.rejected_count), version: Number(row.version) };
}

/** Serialises schema changes and loads of one table, across processes too (released at commit). */
export async function lockTable(q: Queryable, schema: string, table: string): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock(7352002, hashtext($1))', [qualify(schema, table)]);
}

/**
 * The primary key a call ends up with: the one asked for, else the table's.
 * A table's key can be set once; changing it needs a replace (which builds
 * the table anew).
 */
export function resolvePrimaryKey(
  table: string,
  asked: readonly string[] | undefined,
  current: readonly string[] | null,
  columns: readonly PhysicalColumn[],
  canChange: boolean,
): string[] | null {
  const key = asked === undefined ? (current === null ? null : [...current]) : [...asked];
  if (key === null) return null;
  const names = new Set(columns.map((c) => c.name));
  const seen = new Set<string>();
  for (const column of key) {
    checkColumnName(column, 'primary key column');
    if (!names.has(column)) throw new UserError('invalid_config', `primary key column "${column}" is not a column of table "${table}"`);
    if (seen.has(column)) throw new UserError('invalid_config', `primary key column "${column}" appears twice`);
    seen.add(column);
  }
  if (!canChange && current !== null && asked !== undefined && current.join('\u0001') !== key.join('\u0001')) {
    throw new UserError(
      'invalid_config',
      `table "${table}" has the primary key (${current.join(', ')}); a load cannot change it to (${key.join(', ')}) except with writeMode replace`,
    );
  }
  return key;
}
