import os from 'node:os';
import type { DatabaseConfig } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import type { SchemaColumn } from '../../mapping/index.js';
import { KeyedMutex } from './feed.js';
import { checkOrgId } from './identifiers.js';
import { ensureTable, loadTable, type WarehouseContext } from './load.js';
import { Locations } from './locations.js';
import { exportTable } from './export.js';
import {
  clearPart,
  dropDerived,
  dropStaged,
  listStaged,
  publishStaged,
  stage,
  writeStaged,
  type PublishRequest,
  type StagedTable,
  type StageRequest,
} from './derived.js';
import { countExistingKeys, listTables, readRejected, readRows } from './read.js';
import type {
  CopyTarget,
  EncodedBatch,
  EnsureTableOptions,
  ExportPart,
  LoadBatch,
  LoadOptions,
  LoadResult,
  PageOptions,
  RejectedPage,
  RowsOptions,
  RowsPage,
  TableDefinition,
  TableExport,
  TableSummary,
  WarehouseLocation,
} from './warehouse.schema.js';

/**
 * Each organisation's typed tables in PostgreSQL (see README.md). The engine
 * and the API know this interface only.
 */
export interface Warehouse {
  /** The organisation's database and schema, created on first use. */
  location(orgId: string): Promise<WarehouseLocation>;
  /** Creates `table` for `columns`, or evolves it: new columns added, types widened, never narrowed. */
  ensureTable(orgId: string, table: string, columns: readonly SchemaColumn[], options?: EnsureTableOptions): Promise<TableDefinition>;
  /**
   * Loads batches in one transaction (all or nothing): the table is created
   * or evolved for `options.columns`, rows are streamed in with COPY, rows
   * that do not fit and the batches' rejected rows go to `<table>__rejected`.
   * Always `loaded + rejected` = rows received.
   */
  load(orgId: string, table: string, batches: AsyncIterable<LoadBatch>, options: LoadOptions): Promise<LoadResult>;
  /** The organisation's tables with their columns and counts. */
  listTables(orgId: string): Promise<TableSummary[]>;
  /** A page of rows; `not_found` for a table the organisation does not have. */
  rows(orgId: string, table: string, options?: RowsOptions): Promise<RowsPage>;
  /** A page of the table's rejected rows: by load, then by row number. */
  rejected(orgId: string, table: string, options?: PageOptions): Promise<RejectedPage>;
  /** How many of `keys` the table holds (0 when it or a key column does not exist yet); writes nothing. */
  countExistingKeys(orgId: string, table: string, keyColumns: readonly string[], keys: readonly (readonly unknown[])[]): Promise<number>;
  /** The whole table (or its rejected rows) as text cells, streamed; `not_found` as `rows`. */
  export(orgId: string, table: string, part: ExportPart): Promise<TableExport>;
  /** Tables Sluice computes and replaces whole (`<table>__forecast`, `<table>__plan`): see derived.ts. */
  readonly derived: DerivedTables;
  /** Closes the organisations' connection pools (not the metadata database). */
  close(): Promise<void>;
}

/**
 * Derived tables, written in parts by several tasks at once and published
 * together in one transaction (derived.ts): readers see the previous result
 * or the new one, never a mix.
 */
export interface DerivedTables {
  /** A fresh staging table for `request.table`, named after `request.owner` (the same for every try of a run). */
  stage(orgId: string, request: StageRequest): Promise<StagedTable>;
  /** Deletes a part's rows of its other attempts: a retried part starts over. */
  clearPart(orgId: string, staged: StagedTable, tag: { part: number; attempt: number }): Promise<void>;
  /** Rows of one part (arrays in column order) under its attempt, in one COPY. Returns the rows written. */
  write(orgId: string, staged: StagedTable, tag: { part: number; attempt: number }, rows: readonly (readonly unknown[])[]): Promise<number>;
  /** Replaces each derived table by its staged rows of the given part attempts, all in one transaction. */
  publish(orgId: string, requests: readonly PublishRequest[]): Promise<{ table: string; rows: number }[]>;
  /** Staging tables left behind (by failed runs), with their owner. */
  listStaged(orgId: string): Promise<{ staging: string; owner: string | null; table: string | null }[]>;
  dropStaged(orgId: string, stagings: readonly string[]): Promise<void>;
  /** Drops derived tables and their entries in the table list. */
  drop(orgId: string, tables: readonly string[]): Promise<void>;
}

export interface WarehouseOptions {
  /** The metadata database (holding `orgs` and `warehouse_tables`). */
  db: Database;
  /** Its settings: on a server, each organisation's database is reached on the same server. */
  database: DatabaseConfig;
  /** `PG_DB_PREFIX`, `orgdata_` by default. */
  prefix: string;
  /** Connections per organisation's pool on a server (default 4; idle ones close after 10 s). */
  poolMax?: number;
  /**
   * Embedded only: where a load spools its COPY text before its transaction
   * (see feed.ts, Spool). Default: the system's temporary directory; the
   * data directory is the better place when /tmp is memory.
   */
  spoolDir?: string;
}

class PostgresWarehouse implements Warehouse {
  readonly #ctx: WarehouseContext;
  readonly derived: DerivedTables;

  constructor(options: WarehouseOptions) {
    this.#ctx = {
      metadata: options.db,
      locations: new Locations(options.db, options.database, options.prefix, options.poolMax ?? 4),
      mutex: new KeyedMutex(),
      spoolDir: options.spoolDir ?? os.tmpdir(),
    };
    const ctx = this.#ctx;
    this.derived = {
      stage: (orgId, request) => stage(ctx, orgId, request),
      clearPart: (orgId, staged, tag) => clearPart(ctx, orgId, staged, tag),
      write: (orgId, staged, tag, rows) => writeStaged(ctx, orgId, staged, tag, rows),
      publish: (orgId, requests) => publishStaged(ctx, orgId, requests),
      listStaged: (orgId) => listStaged(ctx, orgId),
      dropStaged: (orgId, stagings) => dropStaged(ctx, orgId, stagings),
      drop: (orgId, tables) => dropDerived(ctx, orgId, tables),
    };
  }

  async location(orgId: string): Promise<WarehouseLocation> {
    return this.#ctx.locations.get(checkOrgId(orgId));
  }

  async ensureTable(orgId: string, table: string, columns: readonly SchemaColumn[], options: EnsureTableOptions = {}): Promise<TableDefinition> {
    return ensureTable(this.#ctx, checkOrgId(orgId), table, columns, options.primaryKey);
  }

  async load(orgId: string, table: string, batches: AsyncIterable<LoadBatch>, options: LoadOptions): Promise<LoadResult> {
    return loadTable(this.#ctx, checkOrgId(orgId), table, batches, options);
  }

  /** See `loadEncoded`. */
  async loadEncoded(orgId: string, table: string, open: (target: CopyTarget) => AsyncIterable<EncodedBatch>, options: LoadOptions): Promise<LoadResult> {
    return loadTable(this.#ctx, checkOrgId(orgId), table, open, options);
  }

  async listTables(orgId: string): Promise<TableSummary[]> {
    return listTables(this.#ctx, orgId);
  }

  async rows(orgId: string, table: string, options?: RowsOptions): Promise<RowsPage> {
    return readRows(this.#ctx, orgId, table, options);
  }

  async rejected(orgId: string, table: string, options?: PageOptions): Promise<RejectedPage> {
    return readRejected(this.#ctx, orgId, table, options);
  }

  async countExistingKeys(orgId: string, table: string, keyColumns: readonly string[], keys: readonly (readonly unknown[])[]): Promise<number> {
    return countExistingKeys(this.#ctx, orgId, table, keyColumns, keys);
  }

  async export(orgId: string, table: string, part: ExportPart): Promise<TableExport> {
    return exportTable(this.#ctx, orgId, table, part);
  }

  async close(): Promise<void> {
    return this.#ctx.locations.close();
  }
}

/** The warehouse for the configured database: per-organisation databases on a server, schemas when embedded. */
export function createWarehouse(options: WarehouseOptions): Warehouse {
  return new PostgresWarehouse(options);
}

/**
 * `Warehouse.load` for sources that write some rows as COPY lines
 * themselves (src/ingest/fast): `open` is called once the load knows the
 * lines' shape (the table's columns and types, its key, the line prefix),
 * inside the load's transaction on a server; its batches may carry such
 * lines (`EncodedBatch.copy`) besides ordinary rows. Everything else is as
 * `load`: one transaction, rejected rows kept, loaded + rejected = received.
 * A warehouse not made by `createWarehouse` gets `open(null)`, whose batches
 * must then be ordinary.
 */
export function loadEncoded(
  warehouse: Warehouse,
  orgId: string,
  table: string,
  open: (target: CopyTarget | null) => AsyncIterable<EncodedBatch>,
  options: LoadOptions,
): Promise<LoadResult> {
  if (warehouse instanceof PostgresWarehouse) return warehouse.loadEncoded(orgId, table, open, options);
  return warehouse.load(orgId, table, open(null), options);
}
