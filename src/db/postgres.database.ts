import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStream, to as copyToStream } from 'pg-copy-streams';
import type { Database, PoolStats, Queryable, QueryResult } from './types.js';
import { METADATA_SCHEMA } from './types.js';
import { withTimeout } from './rows.js';
import { TransientError, UserError } from '../errors/index.js';

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
  readonly #poolMax: number;

  constructor(options: PostgresOptions) {
    this.#poolMax = options.poolMax;
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

  async copyFrom(sql: string, source: AsyncIterable<string | Uint8Array>): Promise<number> {
    const client = await wrapConnect(() => this.#pool.connect());
    try {
      const copied = await copyInto(client, sql, source);
      client.release();
      return copied;
    } catch (error) {
      // The server has answered the failed COPY by now, but a connection that saw one is not worth trusting.
      client.release(error as Error);
      throw error;
    }
  }

  async copyOut(sql: string): Promise<Buffer> {
    const client = await wrapConnect(() => this.#pool.connect());
    try {
      const out = await copyOutOf(client, sql);
      client.release();
      return out;
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await wrapConnect(() => this.#pool.connect());
    const tx: Queryable = {
      copyFrom(sql: string, source: AsyncIterable<string | Uint8Array>) {
        return copyInto(client, sql, source);
      },
      copyOut(sql: string) {
        return copyOutOf(client, sql);
      },
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

  /** A cursor in a read-only, repeatable-read transaction on a connection of its own, for as long as the reader reads. */
  async *cursor<R>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<R[]> {
    const client = await wrapConnect(() => this.#pool.connect());
    let failed: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`DECLARE sluice_cursor NO SCROLL CURSOR FOR ${sql}`, params as unknown[]);
      for (;;) {
        const { rows } = await client.query(`FETCH FORWARD ${Math.max(1, Math.floor(batchSize))} FROM sluice_cursor`);
        if (rows.length > 0) yield rows as R[];
        if (rows.length < batchSize) break;
      }
      await client.query('COMMIT');
    } catch (error) {
      failed = error as Error;
      throw error;
    } finally {
      // Stopped early or failed: the transaction ends with the connection (ROLLBACK, or the connection dropped).
      if (failed === undefined) {
        await client.query('ROLLBACK').then(
          () => client.release(),
          (error: Error) => client.release(error),
        );
      } else {
        client.release(failed);
      }
    }
  }

  async ping(timeoutMs = 2_000): Promise<boolean> {
    return withTimeout(this.#pool.query('SELECT 1').then(() => true), timeoutMs).catch(() => false);
  }

  poolStats(): PoolStats {
    return { max: this.#poolMax, total: this.#pool.totalCount, idle: this.#pool.idleCount, waiting: this.#pool.waitingCount };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/**
 * How much COPY data may wait in memory before the source is asked to pause:
 * enough that the next chunk is being prepared while the socket still has
 * data to send, small enough to keep memory flat.
 */
const COPY_BUFFER_BYTES = 4 * 1024 * 1024;

/** Streams `source` into `COPY … FROM STDIN` on one connection; the pipeline applies backpressure both ways. */
async function copyInto(client: pg.PoolClient, sql: string, source: AsyncIterable<string | Uint8Array>): Promise<number> {
  const stream = client.query(copyFromStream(sql, { highWaterMark: COPY_BUFFER_BYTES }));
  // A source that throws destroys the stream, which sends CopyFail: the server discards the rows.
  await pipeline(source, stream);
  return stream.rowCount;
}

/** Everything `COPY … TO STDOUT` writes, collected. */
async function copyOutOf(client: pg.PoolClient, sql: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyToStream(sql))) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Network failures and "the server is starting up": worth another try later. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', '57P03']);
/** Wrong password (28P01), no such role or no access (28000), no such database (3D000): a settings problem. */
const REFUSED = new Set(['28P01', '28000', '3D000']);

/** Turns connection failures into errors that say what is wrong; other errors pass through. */
async function wrapConnect<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message ?? '';
    if (code && UNREACHABLE.has(code)) {
      throw new TransientError('database_unavailable', `PostgreSQL server unreachable (${code})`, { cause: error });
    }
    if (message.includes('timeout exceeded when trying to connect') || message.includes('Connection terminated due to connection timeout')) {
      throw new TransientError('database_unavailable', 'PostgreSQL server did not answer within 10 s', { cause: error });
    }
    if (code && REFUSED.has(code)) {
      throw new UserError('database_refused', `PostgreSQL refused the connection: ${message}. Check DATABASE_URL (or PG_HOST, APP_DB_USER, APP_DB_PASSWORD, PG_DATABASE)`, {
        cause: error,
      });
    }
    throw error;
  }
}
