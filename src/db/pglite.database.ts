import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './types.js';
import { METADATA_SCHEMA } from './types.js';
import { withTimeout } from './rows.js';

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) in a directory, or in memory when
 * `dataDir` is undefined. PGlite runs one query at a time; its own mutex keeps
 * a transaction's statements together.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly #db: PGlite;
  readonly #onClose: (() => Promise<void>) | undefined;

  private constructor(db: PGlite, onClose?: () => Promise<void>) {
    this.#db = db;
    this.#onClose = onClose;
  }

  /**
   * Opens (and creates when new) the embedded database. Callers must hold the
   * data directory lock; `onClose` runs after the database is closed (to release it).
   */
  static async open(dataDir?: string, onClose?: () => Promise<void>): Promise<PgliteDatabase> {
    const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
    await db.waitReady;
    await db.exec(`SET search_path TO ${METADATA_SCHEMA}, public`);
    return new PgliteDatabase(db, onClose);
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    const result = await this.#db.query<R>(sql, params as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await this.#db.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#db.transaction(async (inner) => {
      const tx: Queryable = {
        async query<R>(sql: string, params: readonly unknown[] = []) {
          const result = await inner.query<R>(sql, params as unknown[]);
          return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
        },
        async exec(sql: string) {
          await inner.exec(sql);
        },
      };
      return fn(tx);
    });
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
