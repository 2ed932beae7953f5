/**
 * Glossary of the database layer.
 * - Database: one handle on the metadata database, embedded (PGlite) or a
 *   PostgreSQL server (node-postgres pool). The rest of Sluice sees only this.
 * - Queryable: anything that runs SQL: the database itself or an open transaction.
 * - Migration: a numbered SQL file in ./migrations, applied once and recorded
 *   in `sluice.schema_migrations`.
 */
export type DatabaseKind = 'pglite' | 'postgres';

export interface QueryResult<R> {
  rows: R[];
  /** Rows changed by INSERT/UPDATE/DELETE, or returned by SELECT. */
  rowCount: number;
}

export interface PoolStats {
  /** The most connections the pool opens (SLUICE_DB_POOL_MAX). */
  max: number;
  /** Connections open, busy or idle. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
  /**
   * Bulk-loads rows with `COPY … FROM STDIN` (text format), streaming
   * `source` with backpressure; returns the number of rows copied. All or
   * nothing: outside a transaction the copy runs in one of its own.
   *
   * Rows must end with a newline (the last one may omit it) and newlines
   * inside values must be escaped (`\n`), as the text format requires: the
   * embedded database feeds the input in statements of at most
   * COPY_CHUNK_BYTES cut at row ends, so it refuses `FORMAT csv` and `binary`,
   * whose row ends cannot be found without parsing. The server takes any
   * format.
   */
  copyFrom(sql: string, source: AsyncIterable<string | Uint8Array>): Promise<number>;
  /**
   * Runs `COPY (…) TO STDOUT …` and returns everything it wrote, as bytes
   * (with `FORMAT binary`, read it with copy-binary.ts). The output is held
   * whole: for queries whose result is bounded (a page), not for a table.
   */
  copyOut(sql: string): Promise<Buffer>;
}

/**
 * On a PostgreSQL server, a connection that dies under a call (terminated by
 * an administrator, a failover, a restart) fails that call alone with
 * `database_connection_lost`, and one that cannot be opened with
 * `database_unavailable`; both are transient. The handle opens new
 * connections for the next calls: nothing needs reopening.
 */
export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when
   * it throws. Use only `tx` inside; the embedded database serialises all work,
   * so a query on the outer handle from inside `fn` would wait forever.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Reads the result of `sql` in batches of `batchSize` rows through a
   * server-side cursor, from one snapshot, holding one batch at a time: for
   * results too large to hold (an export of a table). Stopping early (a
   * `break`, an error in the consumer) closes the cursor.
   */
  cursor<R = Record<string, unknown>>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<R[]>;
  /** True when a trivial query answers within `timeoutMs` (default 2 s). Never throws. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** A connection pool's use now (a server's pool; the embedded database has none). */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}

/** Metadata tables live in their own schema so a shared server database stays tidy. */
export const METADATA_SCHEMA = 'sluice';
