import { randomBytes } from 'node:crypto';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { createDataDir } from './pglite-template.js';
import { blobCopyOutSql, blobCopySql, rowChunks } from './copy-chunks.js';
import type { Database, Queryable, QueryResult } from './types.js';
import { METADATA_SCHEMA } from './types.js';
import { withTimeout } from './rows.js';

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) in a directory, or in memory when
 * `dataDir` is undefined. PGlite runs one query at a time; its own mutex keeps
 * a transaction's statements together.
 */
/**
 * PGlite answers through promise callbacks alone, never through the event
 * loop: a process busy with queries (workers claiming, a load running) would
 * starve timers and sockets (heartbeats, task timeouts, the scheduler, HTTP
 * requests). One turn of the event loop after each statement keeps them
 * alive, at a cost of microseconds.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * PostgreSQL's memory settings, sized for one process that embeds its
 * database. initdb writes the defaults of a server (shared_buffers 128 MB, and
 * wal_buffers follows it) into postgresql.conf, and PGlite keeps all of it in
 * its WebAssembly memory, which never shrinks: the biggest part of an idle
 * embedded Sluice. The operating system's page cache still holds the data
 * files (PGlite reads them through Node's fs), and bulk loads write through a
 * 16 MB ring whatever shared_buffers is: measured, loading 1,000,000 rows
 * (file → typed, and through the raw store) took the same CPU time with 16 MB
 * as with 128 MB, and the idle process 130 MB less (docs/operations.md).
 * Given on the command line, these win over postgresql.conf, so data
 * directories made before them get them too.
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
};

/** PGlite's own start parameters (single-user mode, no fsync, ...), then ours. */
export const embeddedStartParams = (): string[] => [...PGlite.defaultStartParams, ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])];

export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly #db: PGlite;
  readonly #onClose: (() => Promise<void>) | undefined;

  private constructor(db: PGlite, onClose?: () => Promise<void>) {
    this.#db = db;
    this.#onClose = onClose;
  }

  /**
   * Opens (and creates when new, as a copy of the template: pglite-template.ts)
   * the embedded database. Callers must hold the data directory lock;
   * `onClose` runs after the database is closed (to release it).
   */
  static async open(dataDir?: string, onClose?: () => Promise<void>): Promise<PgliteDatabase> {
    const options = { startParams: embeddedStartParams() };
    if (dataDir !== undefined) await createDataDir(dataDir, options.startParams);
    const db = dataDir === undefined ? new PGlite(options) : new PGlite(dataDir, options);
    await db.waitReady;
    await db.exec(`SET search_path TO ${METADATA_SCHEMA}, public`);
    return new PgliteDatabase(db, onClose);
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    const result = await this.#db.query<R>(sql, params as unknown[]);
    await yieldToEventLoop();
    return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await this.#db.exec(sql);
    await yieldToEventLoop();
  }

  async copyFrom(sql: string, source: AsyncIterable<string | Uint8Array>): Promise<number> {
    // Several statements for one input: a transaction keeps them all or nothing, like one COPY on a server.
    return this.#db.transaction((inner) => copyInChunks(inner, sql, source));
  }

  async copyOut(sql: string): Promise<Buffer> {
    return copyOutBlob(this.#db, sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#db.transaction(async (inner) => {
      const tx: Queryable = {
        async query<R>(sql: string, params: readonly unknown[] = []) {
          const result = await inner.query<R>(sql, params as unknown[]);
          await yieldToEventLoop();
          return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
        },
        async exec(sql: string) {
          await inner.exec(sql);
          await yieldToEventLoop();
        },
        copyFrom(sql: string, source: AsyncIterable<string | Uint8Array>) {
          return copyInChunks(inner, sql, source);
        },
        copyOut(sql: string) {
          return copyOutBlob(inner, sql);
        },
      };
      return fn(tx);
    });
  }

  /**
   * A cursor WITH HOLD: its result is fixed when it is declared (one
   * statement, PGlite keeping it in its own storage), and each FETCH is a
   * statement of its own, so other work goes on between the batches instead
   * of waiting for a transaction that lasts as long as the reader.
   */
  async *cursor<R>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<R[]> {
    const name = `sluice_cursor_${randomBytes(8).toString('hex')}`;
    await this.query(`DECLARE ${name} NO SCROLL CURSOR WITH HOLD FOR ${sql}`, params);
    try {
      for (;;) {
        const { rows } = await this.query<R>(`FETCH FORWARD ${Math.max(1, Math.floor(batchSize))} FROM ${name}`);
        if (rows.length > 0) yield rows;
        if (rows.length < batchSize) return;
      }
    } finally {
      await this.#db.query(`CLOSE ${name}`).catch(() => undefined);
    }
  }

  async ping(timeoutMs = 2_000): Promise<boolean> {
    // PGlite runs one transaction at a time, so a ping queues behind an open one: bound the wait.
    return withTimeout(this.#db.query('SELECT 1').then(() => true), timeoutMs).catch(() => false);
  }

  async close(): Promise<void> {
    try {
      if (!this.#db.closed) await this.#db.close();
    } finally {
      await this.#onClose?.();
    }
  }
}

/** COPY out through PGlite's `/dev/blob`: the output arrives whole, as a Blob. */
async function copyOutBlob(db: Pick<Transaction, 'query'>, sql: string): Promise<Buffer> {
  const result = await db.query(blobCopyOutSql(sql));
  await yieldToEventLoop();
  return result.blob === undefined ? Buffer.alloc(0) : Buffer.from(await result.blob.arrayBuffer());
}

/**
 * COPY through PGlite's `/dev/blob`: one statement per chunk of whole rows
 * (see copy-chunks.ts), so no more than about one chunk is held at a time.
 */
async function copyInChunks(tx: Transaction, sql: string, source: AsyncIterable<string | Uint8Array>): Promise<number> {
  const statement = blobCopySql(sql);
  let copied = 0;
  let statements = 0;
  for await (const parts of rowChunks(source)) {
    const result = await tx.query(statement, [], { blob: new Blob(parts) });
    copied += result.affectedRows ?? 0;
    statements += 1;
  }
  // An empty input still runs the statement once, so a wrong table fails here as it does on a server.
  if (statements === 0) await tx.query(statement, [], { blob: new Blob([]) });
  return copied;
}
