import { z } from 'zod';
import type { Database } from '../../db/index.js';
import { ColumnType, SchemaColumn } from '../../mapping/index.js';

/** How a load writes its rows (see README.md). */
export const WriteMode = z.enum(['append', 'replace', 'upsert']);
export type WriteMode = z.infer<typeof WriteMode>;

/** A row that was not loaded, as the mapper or reader reports it. */
export const LoadRejectedRow = z.object({
  raw: z.unknown(),
  field: z.string().nullable(),
  reason: z.string(),
  rowNumber: z.number().int().optional(),
});
export type LoadRejectedRow = z.infer<typeof LoadRejectedRow>;

/**
 * One batch of a load. `rows` hold values as src/mapping coerces them, keyed
 * by column name. `rowNumbers`, when given, are the source's row numbers of
 * `rows` (same length), kept in `_sluice_row_number` for lineage; without
 * them rows are numbered by arrival, 1-based, across the whole load.
 */
export interface LoadBatch {
  rows: readonly Record<string, unknown>[];
  rejected: readonly LoadRejectedRow[];
  rowNumbers?: readonly number[] | undefined;
}

/**
 * A batch whose rows may partly be written already as COPY lines for the
 * load's CopyTarget (see `loadEncoded`): `copy.chunks` hold `copy.rows`
 * whole lines, loaded as they are, besides the batch's ordinary rows.
 */
export interface EncodedBatch extends LoadBatch {
  copy?: { chunks: readonly Uint8Array[]; rows: number } | undefined;
}

/** What COPY lines written outside the loader must look like (see `loadEncoded`). */
export interface CopyTarget {
  /** The load's columns in line order, with their types in the table (which may be wider than the load's schema). */
  columns: readonly { name: string; type: ColumnType }[];
  /** The table's key; a line must not leave a key column null. */
  primaryKey: readonly string[] | null;
  /** How each line starts: run id and source id (escaped), each followed by a tab; then the row number, and a tab before each column's field. */
  linePrefix: Buffer;
}

export const LoadOptions = z.object({
  writeMode: WriteMode,
  /** Columns of the key; required for upsert unless the table already has one. */
  primaryKey: z.array(z.string()).min(1).max(32).optional(),
  /** The schema of this load's rows; the table is created or evolved to hold it. */
  columns: z.array(SchemaColumn).max(1590),
  /** Kept in `_sluice_run_id` and in the rejected rows. */
  runId: z.string().min(1).max(200),
  /** A file id or a run id: loading the same source again replaces its rows instead of adding them. */
  sourceId: z.string().min(1).max(200),
  /**
   * Where each primary-key column's value sits in a source record (`{ "id": ["id"], "sku": ["item", "sku"] }`);
   * a column not named here is looked for under its own name. An upsert uses it to drop the rejected rows of
   * earlier loads for the keys it loads or rejects again, as it replaces their rows.
   */
  keyPaths: z.record(z.string(), z.array(z.string().max(500)).min(1).max(32)).optional(),
});
export type LoadOptions = z.input<typeof LoadOptions>;

export interface LoadResult {
  /** Rows written (for upsert and keyed tables, duplicates of a key within the load count once each). */
  loaded: number;
  /** Rows sent to `<table>__rejected`, those the batches carried and those that did not fit. */
  rejected: number;
}

export interface EnsureTableOptions {
  primaryKey?: readonly string[] | undefined;
}

/** A table as the warehouse keeps it, Sluice's own `_sluice_*` columns excluded. */
export interface TableDefinition {
  name: string;
  columns: SchemaColumn[];
  primaryKey: string[] | null;
  /** What this call changed: whether it created the table, the columns it added and those it widened. */
  created: boolean;
  added: string[];
  widened: { name: string; from: ColumnType; to: ColumnType }[];
}

/** One entry of `GET /api/tables` (CONTRACT.md, Data). */
export const TableSummary = z.object({
  name: z.string(),
  rowCount: z.number().int(),
  rejectedCount: z.number().int(),
  columns: z.array(z.object({ name: z.string(), type: ColumnType })),
  primaryKey: z.array(z.string()).nullable(),
  updatedAt: z.iso.datetime(),
});
export type TableSummary = z.infer<typeof TableSummary>;

export const PageOptions = z.object({
  limit: z.number().int().min(1).max(10_000).default(100),
  offset: z.number().int().min(0).default(0),
});
export type PageOptions = z.input<typeof PageOptions>;

export const RowsOptions = PageOptions.extend({
  /** A column of the table, `_sluice_*` included; `-name` sorts descending. */
  orderBy: z.string().max(70).optional(),
});
export type RowsOptions = z.input<typeof RowsOptions>;

/** Values are JSON-safe: int8 and numeric as numbers when exact, else strings; dates `YYYY-MM-DD`; timestamps ISO UTC. */
export interface RowsPage {
  rows: Record<string, unknown>[];
  total: number;
}

export const RejectedEntry = z.object({
  raw: z.unknown(),
  field: z.string().nullable(),
  reason: z.string(),
  runId: z.string().nullable(),
  sourceId: z.string().nullable(),
  rowNumber: z.number().int().nullable(),
  rejectedAt: z.iso.datetime(),
});
export type RejectedEntry = z.infer<typeof RejectedEntry>;

/** What an export reads: the table's rows, or its rejected rows. */
export const ExportPart = z.enum(['rows', 'rejected']);
export type ExportPart = z.infer<typeof ExportPart>;

/** A table as text cells, streamed (see export.ts). */
export interface TableExport {
  columns: string[];
  /** Per column: whether it holds free text. */
  text: boolean[];
  /** Batches of rows, each a cell per column (null for NULL). */
  rows: AsyncIterable<(string | null)[][]>;
}

export interface RejectedPage {
  rows: RejectedEntry[];
  total: number;
}

/** Where an organisation's tables live: the database to query and the schema that qualifies each table. */
export interface WarehouseLocation {
  db: Database;
  schema: string;
}
