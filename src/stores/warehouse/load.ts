import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../../db/index.js';
import { UserError, validationFailed } from '../../errors/index.js';
import type { SchemaColumn } from '../../mapping/index.js';
import {
  alterTable,
  checkSchema,
  createTableSql,
  ensureIndexes,
  ensureRejectedTable,
  indexNames,
  lockTable,
  planSchema,
  readTable,
  recordCounts,
  resolvePrimaryKey,
  type PhysicalTable,
  type SchemaPlan,
  type TableCounts,
} from './catalog.js';
import { PG_TYPES } from './column-types.js';
import { RowEncoder, type EncoderColumn } from './copy-text.js';
import { BatchFeed, KeyedMutex, RejectedSink, Spool } from './feed.js';
import { checkColumnName, checkTableName, qualify, quoteIdent, rejectedTableName } from './identifiers.js';
import type { Locations } from './locations.js';
import { describeColumns, readMetadata, writeMetadata } from './metadata.js';
import { LoadOptions, type CopyTarget, type EncodedBatch, type LoadBatch, type LoadResult, type TableDefinition, type WriteMode } from './warehouse.schema.js';

/**
 * Creating and evolving tables, and loading batches into them.
 *
 * A load is one transaction on the organisation's database: the schema
 * change, the deletion of what it replaces, the COPY of its rows, its
 * rejected rows and (for replace) the swap. A failure anywhere leaves
 * nothing of it behind.
 */

export interface WarehouseContext {
  metadata: Database;
  locations: Locations;
  /** Embedded only: one load or schema change per table at a time, in this process (the only one). */
  mutex: KeyedMutex;
  /** Embedded only: where loads spool their COPY text (see Spool). */
  spoolDir: string;
}

const STAGE = 'pg_temp._sluice_stage';

type ParsedLoadOptions = ReturnType<typeof LoadOptions.parse>;

function parseLoadOptions(input: LoadOptions): ParsedLoadOptions {
  const parsed = LoadOptions.safeParse(input);
  if (!parsed.success) {
    throw validationFailed(
      parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'options', message: i.message })),
      'invalid_config',
    );
  }
  return parsed.data;
}

/** What a change makes of the table: its columns after the change, and its key. */
interface Shape {
  current: PhysicalTable | null;
  plan: SchemaPlan;
  primaryKey: string[] | null;
}

function shapeFor(
  table: string,
  current: PhysicalTable | null,
  columns: readonly SchemaColumn[],
  askedKey: readonly string[] | undefined,
  canChangeKey: boolean,
): Shape {
  const plan = planSchema(current?.columns ?? [], columns);
  const primaryKey = resolvePrimaryKey(table, askedKey, current?.primaryKey ?? null, plan.columns, canChangeKey);
  return { current, plan, primaryKey };
}

/** The shape of a load, refusing what cannot work before a single row is read. */
function loadShape(table: string, current: PhysicalTable | null, options: ParsedLoadOptions): Shape & { columns: EncoderColumn[] } {
  const shape = shapeFor(table, current, options.columns, options.primaryKey, options.writeMode === 'replace');
  if (options.writeMode === 'upsert' && shape.primaryKey === null) {
    throw new UserError('invalid_config', `upsert into table "${table}" needs a primary key: give primaryKey`);
  }
  const loadColumns = new Set(options.columns.map((c) => c.name));
  const missingKey = shape.primaryKey?.find((k) => !loadColumns.has(k));
  if (missingKey !== undefined) {
    throw new UserError('invalid_config', `primary key column "${missingKey}" is not among the columns of this load: every row would lack its key`);
  }
  // Values are written for the table's types, which may be wider than this load's schema.
  const types = new Map(shape.plan.columns.map((c) => [c.name, c.type]));
  return { ...shape, columns: options.columns.map((c) => ({ name: c.name, type: types.get(c.name)! })) };
}

/**
 * Creates or evolves the table to `shape` (or, for replace, creates the
 * table that will take its place), with its rejected-rows table and
 * indexes. Runs inside the caller's transaction, after `lockTable`.
 * Returns the table the rows go into.
 */
async function applyShape(tx: Queryable, schema: string, table: string, shape: Shape, replace: boolean): Promise<string> {
  let target = table;
  if (replace) {
    // `_sluice_` names cannot clash with a user's table (identifiers.ts).
    target = `_sluice_swap_${randomBytes(6).toString('hex')}`;
    await tx.query(createTableSql(schema, target, shape.plan.columns));
  } else if (shape.current === null) {
    await tx.query(createTableSql(schema, table, shape.plan.columns));
  } else {
    await alterTable(tx, schema, table, shape.current, shape.plan);
  }
  await ensureRejectedTable(tx, schema, table);
  // For replace the indexes are built after the rows are in: faster than maintaining them row by row.
  if (!replace) await ensureIndexes(tx, schema, table, shape.primaryKey);
  return target;
}

/** On the embedded database, work on one table runs one call at a time (see Spool for why loads need it). */
function serialised<T>(ctx: WarehouseContext, schema: string, table: string, fn: () => Promise<T>): Promise<T> {
  return ctx.locations.sharesMetadata ? ctx.mutex.run(qualify(schema, table), fn) : fn();
}

/** `ensureTable`: the table's shape for `columns`, created or evolved, and recorded. */
export async function ensureTable(
  ctx: WarehouseContext,
  orgId: string,
  tableInput: string,
  columns: readonly SchemaColumn[],
  askedKey: readonly string[] | undefined,
): Promise<TableDefinition> {
  const table = checkTableName(tableInput);
  checkSchema(columns);
  askedKey?.forEach((k) => checkColumnName(k, 'primary key column'));
  const location = await ctx.locations.get(orgId);
  const shared = ctx.locations.sharesMetadata;
  return serialised(ctx, location.schema, table, async () => {
    const previous = await readMetadata(ctx.metadata, orgId, table);
    let definition: TableDefinition | undefined;
    let counts: TableCounts | undefined;
    await location.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL TimeZone TO 'UTC'`);
      await lockTable(tx, location.schema, table);
      const shape = shapeFor(table, await readTable(tx, location.schema, table), columns, askedKey, false);
      await applyShape(tx, location.schema, table, shape, false);
      counts = await recordCounts(tx, location.schema, table, { keep: true });
      definition = {
        name: table,
        columns: describeColumns(shape.plan.columns, columns, previous?.columns),
        primaryKey: shape.primaryKey,
        created: shape.current === null,
        added: shape.current === null ? [] : shape.plan.added.map((c) => c.name),
        widened: shape.plan.widened,
      };
      if (shared) await writeMetadata(tx, orgId, table, definition, counts);
    });
    if (!shared) await writeMetadata(ctx.metadata, orgId, table, definition!, counts!);
    return definition!;
  });
}

/**
 * `INSERT … SELECT DISTINCT ON (key)` from the staging table: the last
 * occurrence of a key in the load wins. Returns the rows written and, of
 * those, the ones that were new (not updates of an existing key).
 */
async function insertFromStage(
  tx: Queryable,
  into: string,
  columns: readonly EncoderColumn[],
  primaryKey: readonly string[],
  onConflict: 'update' | 'none',
): Promise<{ written: number; fresh: number }> {
  const names = [...columns.map((c) => c.name), '_sluice_run_id', '_sluice_source_id', '_sluice_row_number'].map(quoteIdent);
  const key = primaryKey.map(quoteIdent);
  const keySet = new Set(primaryKey);
  const select = `SELECT DISTINCT ON (${key.join(', ')}) ${names.join(', ')} FROM ${STAGE} ORDER BY ${key.join(', ')}, _sluice_seq DESC`;
  if (onConflict === 'none') {
    const { rowCount } = await tx.query(`INSERT INTO ${into} (${names.join(', ')}) ${select}`);
    return { written: rowCount, fresh: rowCount };
  }
  // Only the columns this load carries: a column it lacks keeps what the row held.
  const updates = [...columns.map((c) => c.name).filter((n) => !keySet.has(n)), '_sluice_run_id', '_sluice_source_id', '_sluice_row_number', '_sluice_loaded_at']
    .map(quoteIdent)
    .map((c) => `${c} = EXCLUDED.${c}`);
  // xmax is 0 on a row version this statement inserted, and set on one it updated.
  const { rows } = await tx.query<{ written: number | string; fresh: number | string }>(
    `WITH upserted AS (
       INSERT INTO ${into} (${names.join(', ')}) ${select}
       ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}
       RETURNING (xmax = 0) AS fresh
     )
     SELECT count(*) AS written, count(*) FILTER (WHERE fresh) AS fresh FROM upserted`,
  );
  return { written: Number(rows[0]!.written), fresh: Number(rows[0]!.fresh) };
}

/**
 * Upsert: a key loaded again replaces its row, so a rejection of that key
 * by an earlier load (another source, such as an earlier run of the same
 * connection) no longer describes the data: the key was loaded now, or was
 * rejected again (and that newer rejection is kept). Rejected rows whose key
 * cannot be read (the key itself was bad, or the record was not an object)
 * are dropped when this load rejected the very same record. So one bad
 * record of a source read on every run is one rejected row, not one per run.
 *
 * Keys are compared as text: the rejected record's value at the key's path
 * (`#>>`) against the staged typed value cast to text. That matches the
 * integer, text and date keys sources have; a key whose text differs after
 * typing (a timestamp written another way) only falls back to the identity
 * rule above.
 */
async function dropSupersededRejections(
  tx: Queryable,
  rejectedTable: string,
  primaryKey: readonly string[],
  keyPaths: Readonly<Record<string, readonly string[]>>,
  sourceId: string,
): Promise<number> {
  const paths = primaryKey.map((k) => keyPaths[k] ?? [k]);
  const keyOf = (alias: string) => `(${paths.map((_, i) => `${alias}.raw #>> $${i + 2}::text[]`).join(', ')})`;
  const staged = primaryKey.map((k) => `s.${quoteIdent(k)}::text`).join(', ');
  const { rowCount } = await tx.query(
    `DELETE FROM ${rejectedTable} r
      WHERE r.source_id IS DISTINCT FROM $1
        AND (${keyOf('r')} IN (SELECT ${staged} FROM ${STAGE} s)
             OR ${keyOf('r')} IN (SELECT ${keyOf('c')} FROM ${rejectedTable} c WHERE c.source_id = $1)
             OR r.raw IN (SELECT c.raw FROM ${rejectedTable} c WHERE c.source_id = $1))`,
    [sourceId, ...paths],
  );
  return rowCount;
}

/**
 * Append on a keyed table: a staged row whose key another source already
 * loaded is not overwritten (that is upsert's job) but moved to the
 * rejected rows with the reason, so nothing disappears unaccounted.
 */
async function rejectKeyConflicts(tx: Queryable, table: string, rejectedTable: string, primaryKey: readonly string[]): Promise<number> {
  const match = primaryKey.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ');
  const reason = `primary key (${primaryKey.join(', ')}) already holds a row loaded from another source; append does not overwrite it (use writeMode upsert)`;
  const { rowCount } = await tx.query(
    `WITH moved AS (
       DELETE FROM ${STAGE} s USING ${table} t WHERE ${match} RETURNING s.*
     )
     INSERT INTO ${rejectedTable} (raw, field, reason, run_id, source_id, row_number)
     SELECT to_jsonb(moved) - '_sluice_seq' - '_sluice_run_id' - '_sluice_source_id' - '_sluice_row_number',
            $1, $2, _sluice_run_id, _sluice_source_id, _sluice_row_number
       FROM moved`,
    [primaryKey.join(','), reason],
  );
  return rowCount;
}

/** Puts the replace's new table in place of the old one, inside the load's transaction. */
async function swapIn(tx: Queryable, schema: string, swap: string, table: string, primaryKey: readonly string[] | null): Promise<void> {
  await ensureIndexes(tx, schema, swap, primaryKey);
  try {
    await tx.query(`DROP TABLE IF EXISTS ${qualify(schema, table)}`);
  } catch (error) {
    if ((error as { code?: string }).code === '2BP01') {
      throw new UserError('conflict', `table "${table}" cannot be replaced while views or other objects depend on it; drop them or load with writeMode append or upsert`, {
        cause: error,
      });
    }
    throw error;
  }
  await tx.query(`ALTER TABLE ${qualify(schema, swap)} RENAME TO ${quoteIdent(table)}`);
  const from = indexNames(swap);
  const to = indexNames(table);
  await tx.query(`ALTER INDEX ${qualify(schema, from.source)} RENAME TO ${quoteIdent(to.source)}`);
  if (primaryKey !== null) await tx.query(`ALTER INDEX ${qualify(schema, from.primaryKey)} RENAME TO ${quoteIdent(to.primaryKey)}`);
}

/**
 * Where a load's batches come from: an iterable, or (`loadEncoded`) a
 * function that opens them once the COPY lines' shape is known.
 */
export type LoadSource = AsyncIterable<LoadBatch> | ((target: CopyTarget) => AsyncIterable<EncodedBatch>);

function openSource(source: LoadSource, columns: readonly EncoderColumn[], primaryKey: readonly string[] | null, encoder: RowEncoder): AsyncIterable<EncodedBatch> {
  return typeof source === 'function' ? source({ columns, primaryKey, linePrefix: encoder.linePrefix }) : source;
}

/** The rows of a load, still to be read (server) or already encoded to a spool (embedded). */
type Rows =
  | { kind: 'stream'; batches: LoadSource }
  | { kind: 'spool'; spool: Spool; feed: BatchFeed; rejects: RejectedSink; columns: EncoderColumn[]; primaryKey: string[] | null };

/** `load`: see Warehouse.load. */
export async function loadTable(
  ctx: WarehouseContext,
  orgId: string,
  tableInput: string,
  batches: LoadSource,
  input: LoadOptions,
): Promise<LoadResult> {
  const table = checkTableName(tableInput);
  const options = parseLoadOptions(input);
  checkSchema(options.columns);
  options.primaryKey?.forEach((k) => checkColumnName(k, 'primary key column'));
  const location = await ctx.locations.get(orgId);
  if (!ctx.locations.sharesMetadata) return loadInTransaction(ctx, orgId, table, location.db, location.schema, options, { kind: 'stream', batches });

  return serialised(ctx, location.schema, table, async () => {
    // Encoded for the table as it is now; the mutex keeps it so until the transaction.
    const shape = loadShape(table, await readTable(location.db, location.schema, table), options);
    const spool = await Spool.create(ctx.spoolDir);
    try {
      const rejects = new RejectedSink(spool.writeRejected, options.runId, options.sourceId);
      const encoder = new RowEncoder(shape.columns, { runId: options.runId, sourceId: options.sourceId, primaryKey: shape.primaryKey });
      const feed = new BatchFeed(openSource(batches, shape.columns, shape.primaryKey, encoder), encoder, rejects);
      await feed.run(spool.writeRows);
      await rejects.flush();
      await spool.finish();
      const rows: Rows = { kind: 'spool', spool, feed, rejects, columns: shape.columns, primaryKey: shape.primaryKey };
      return await loadInTransaction(ctx, orgId, table, location.db, location.schema, options, rows);
    } finally {
      await spool.remove();
    }
  });
}

async function loadInTransaction(
  ctx: WarehouseContext,
  orgId: string,
  table: string,
  db: Database,
  schema: string,
  options: ParsedLoadOptions,
  input: Rows,
): Promise<LoadResult> {
  const previous = await readMetadata(ctx.metadata, orgId, table);
  const shared = ctx.locations.sharesMetadata;
  const mode: WriteMode = options.writeMode;

  let record: { columns: SchemaColumn[]; primaryKey: string[] | null; counts: TableCounts } | undefined;
  const result = await db.transaction(async (tx): Promise<LoadResult> => {
    // Text casts of dates and timestamps must not depend on the server's zone.
    await tx.query(`SET LOCAL TimeZone TO 'UTC'`);
    await lockTable(tx, schema, table);
    const shape = loadShape(table, await readTable(tx, schema, table), options);
    const { columns, primaryKey } = shape;
    if (input.kind === 'spool' && JSON.stringify([input.columns, input.primaryKey]) !== JSON.stringify([columns, primaryKey])) {
      throw new Error(`table "${table}" changed while its load was being spooled`);
    }
    const target = await applyShape(tx, schema, table, shape, mode === 'replace');

    const rejectedTable = qualify(schema, rejectedTableName(table));
    let deleted = 0;
    let deletedRejected = 0;
    if (mode === 'replace') {
      await tx.query(`DELETE FROM ${rejectedTable}`);
    } else {
      // Loading a source again replaces what it loaded before, its rejected rows too.
      deletedRejected = (await tx.query(`DELETE FROM ${rejectedTable} WHERE source_id = $1`, [options.sourceId])).rowCount;
      if (mode === 'append') {
        deleted = (await tx.query(`DELETE FROM ${qualify(schema, table)} WHERE _sluice_source_id = $1`, [options.sourceId])).rowCount;
      }
    }

    const copyRejected = `COPY ${rejectedTable} (raw, field, reason, run_id, source_id, row_number) FROM STDIN`;
    const copyColumns = RowEncoder.copyColumns(columns, quoteIdent);
    if (primaryKey !== null) {
      // Keyed tables load through a staging table, where duplicate keys of the load are resolved.
      const stageColumns = columns.map((c) => `, ${quoteIdent(c.name)} ${PG_TYPES[c.type]}`).join('');
      await tx.query(
        `CREATE TEMP TABLE _sluice_stage (
           _sluice_seq bigint GENERATED ALWAYS AS IDENTITY,
           _sluice_run_id text, _sluice_source_id text, _sluice_row_number integer${stageColumns}
         ) ON COMMIT DROP`,
      );
    }
    const copyRows = `COPY ${primaryKey === null ? qualify(schema, target) : STAGE} (${copyColumns}) FROM STDIN`;

    let feed: BatchFeed;
    let rejects: RejectedSink;
    let loaded: number;
    if (input.kind === 'stream') {
      rejects = new RejectedSink((text) => tx.copyFrom(copyRejected, text), options.runId, options.sourceId);
      const encoder = new RowEncoder(columns, { runId: options.runId, sourceId: options.sourceId, primaryKey });
      feed = new BatchFeed(openSource(input.batches, columns, primaryKey, encoder), encoder, rejects);
      loaded = (await feed.run((text) => tx.copyFrom(copyRows, text)))!;
    } else {
      ({ feed, rejects } = input);
      loaded = await tx.copyFrom(copyRows, input.spool.rows());
      const rejected = await tx.copyFrom(copyRejected, input.spool.rejected());
      if (loaded !== feed.encoded || rejected !== rejects.total) {
        throw new Error(`COPY from the spool stored ${loaded} rows and ${rejected} rejected rows of ${feed.encoded} and ${rejects.total}`);
      }
    }

    /** Rows the table gained (before the deletions above). */
    let added = loaded;
    let rejectedTotal = rejects.total;
    if (primaryKey !== null) {
      if (mode === 'append') {
        const moved = await rejectKeyConflicts(tx, qualify(schema, table), rejectedTable, primaryKey);
        loaded -= moved;
        rejectedTotal += moved;
      }
      if (mode === 'upsert') deletedRejected += await dropSupersededRejections(tx, rejectedTable, primaryKey, options.keyPaths ?? {}, options.sourceId);
      added = (await insertFromStage(tx, qualify(schema, target), columns, primaryKey, mode === 'upsert' ? 'update' : 'none')).fresh;
    }
    if (mode === 'replace') await swapIn(tx, schema, target, table, primaryKey);

    // Nothing lost: every row the batches carried was loaded or rejected.
    if (feed.received !== loaded + rejectedTotal) {
      throw new Error(`load accounting broke: ${feed.received} rows received, ${loaded} loaded, ${rejectedTotal} rejected`);
    }
    let counts: TableCounts;
    if (mode === 'replace') {
      counts = await recordCounts(tx, schema, table, { set: { rows: added, rejected: rejectedTotal } });
    } else if (shape.current === null) {
      const { rows } = await tx.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${rejectedTable}`);
      counts = await recordCounts(tx, schema, table, { set: { rows: added, rejected: Number(rows[0]!.n) } });
    } else {
      counts = await recordCounts(tx, schema, table, { add: { rows: added - deleted, rejected: rejectedTotal - deletedRejected } });
    }
    record = { columns: describeColumns(shape.plan.columns, options.columns, previous?.columns), primaryKey, counts };
    if (shared) await writeMetadata(tx, orgId, table, record, counts);
    return { loaded, rejected: rejectedTotal };
  });
  if (!shared) await writeMetadata(ctx.metadata, orgId, table, record!, record!.counts);
  return result;
}
