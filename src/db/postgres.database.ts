import pg from 'pg';
import type { Database, Queryable, QueryResult } from './types.js';
import { METADATA_SCHEMA } from './types.js';
import { TransientError } from '../errors/index.js';

// int8 (count(*), bigserial) as a JS number: Sluice's counters stay far below 2^53,
// and PGlite returns numbers too, so both drivers give the same shapes.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface PostgresOptions {
  url: string;
  poolMax: number;
  applicationName?: string;
}

/** A PostgreSQL server through a node-postgres pool. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;

  constructor(options: PostgresOptions) {
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax,
      application_name: options.applicationName ?? 'sluice',
      options: `-c search_path=${METADATA_SCHEMA},public`,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.#pool.on('error', () => undefined);
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    const result = await wrapConnect(() => this.#pool.query(sql, params as unknown[]));
    return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await wrapConnect(() => this.#pool.query(sql));
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await wrapConnect(() => this.#pool.connect());
    const tx: Queryable = {
      async query<R>(sql: string, params: readonly unknown[] = []) {
        const result = await client.query(sql, params as unknown[]);
        return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
      },
      async exec(sql: string) {
        await client.query(sql);
      },
    };
    try {
      await client.query('BEGIN');
      const value = await fn(tx);
      await client.query('COMMIT');
      client.release();
      return value;
    } catch (error) {
      // A failed ROLLBACK means the connection is broken: destroy it rather than reuse it.
      await client.query('ROLLBACK').then(
        () => client.release(),
        (rollbackError: Error) => client.release(rollbackError),
      );
      throw error;
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.#pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', '57P03']);

/** Turns "cannot reach the server" into a TransientError that says so; other errors pass through. */
async function wrapConnect<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && CONNECT_ERRORS.has(code)) {
      throw new TransientError('database_unavailable', `PostgreSQL server unreachable (${code})`, { cause: error });
    }
    throw error;
  }
}
