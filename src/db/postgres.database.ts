import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStream, to as copyToStream } from 'pg-copy-streams';
import type { Database, PoolStats, Queryable, QueryResult } from './types.js';
import { METADATA_SCHEMA } from './types.js';
import { withTimeout } from './rows.js';
import { isAppError, TransientError, UserError, type AppError } from '../errors/index.js';

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
    const result = await this.#withClient((client) => client.query(sql, params as unknown[]));
    return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await this.#withClient((client) => client.query(sql));
  }

  /** One statement on a pooled connection: a failure to connect is `database_unavailable`, a connection dying under it `database_connection_lost`. */
  async #withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const held = await this.#checkout();
    try {
      const value = await fn(held.client);
      held.release();
      return value;
    } catch (error) {
      // An error of the statement (a constraint, a syntax error) leaves a connection fit for reuse.
      held.release(isConnectionLost(error) ? (error as Error) : undefined);
      throw held.failure(error);
    }
  }

  async copyFrom(sql: string, source: AsyncIterable<string | Uint8Array>): Promise<number> {
    const held = await this.#checkout();
    try {
      const copied = await copyInto(held.client, sql, source);
      held.release();
      return copied;
    } catch (error) {
      // The server has answered the failed COPY by now, but a connection that saw one is not worth trusting.
      held.release(error as Error);
      throw held.failure(error);
    }
  }

  async copyOut(sql: string): Promise<Buffer> {
    const held = await this.#checkout();
    try {
      const out = await copyOutOf(held.client, sql);
      held.release();
      return out;
    } catch (error) {
      held.release(error as Error);
      throw held.failure(error);
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const held = await this.#checkout();
    const { client } = held;
    const fail = (error: unknown): never => {
      throw held.failure(error);
    };
    const tx: Queryable = {
      copyFrom(sql: string, source: AsyncIterable<string | Uint8Array>) {
        return copyInto(client, sql, source).catch(fail);
      },
      copyOut(sql: string) {
        return copyOutOf(client, sql).catch(fail);
      },
      async query<R>(sql: string, params: readonly unknown[] = []) {
        const result = await client.query(sql, params as unknown[]).catch(fail);
        return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
      },
      async exec(sql: string) {
        await client.query(sql).catch(fail);
      },
    };
    try {
      await client.query('BEGIN').catch(fail);
      const value = await fn(tx);
      await client.query('COMMIT').catch(fail);
      held.release();
      return value;
    } catch (error) {
      if (held.lost()) {
        // The server rolled the transaction back when the connection died.
        held.release();
        throw held.failure(error);
      }
      // A failed ROLLBACK means the connection is broken: destroy it rather than reuse it.
      await client.query('ROLLBACK').then(
        () => held.release(),
        (rollbackError: Error) => held.release(rollbackError),
      );
      throw error;
    }
  }

  /** A cursor in a read-only, repeatable-read transaction on a connection of its own, for as long as the reader reads. */
  async *cursor<R>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<R[]> {
    const held = await this.#checkout();
    const { client } = held;
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
      throw held.failure(error);
    } finally {
      // Stopped early or failed: the transaction ends with the connection (ROLLBACK, or the connection dropped).
      if (failed === undefined && !held.lost()) {
        await client.query('ROLLBACK').then(
          () => held.release(),
          (error: Error) => held.release(error),
        );
      } else {
        held.release(failed);
      }
    }
  }

  /**
   * Takes a connection out of the pool for work of several statements. While
   * it is held, the pool no longer listens to it: a connection the server
   * terminates (57P01, a failover, a restart) would then emit an 'error' no
   * one handles, and Node would end the process. The listener here keeps the
   * error for the work that holds the connection, which fails (its next
   * statement does, with the same error) and hands it back to be discarded.
   */
  async #checkout(): Promise<Held> {
    const client = await wrapConnect(() => this.#pool.connect());
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost ??= error;
    };
    client.on('error', onError);
    return {
      client,
      lost: () => lost,
      release(error?: Error) {
        client.removeListener('error', onError);
        client.release(lost ?? error);
      },
      failure(error: unknown) {
        // Named after what killed the connection (57P01 …) rather than what the work then made
        // of it ("not queryable", a source aborted by the failed COPY).
        if (isAppError(error) && error.code === 'database_connection_lost') return error;
        if (lost) return lostError(lost, error);
        return isConnectionLost(error) ? lostError(error) : error;
      },
    };
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

/** A connection taken out of the pool (see #checkout). */
interface Held {
  client: pg.PoolClient;
  /** The error the connection died of while held, if it did. */
  lost(): Error | undefined;
  /** Back to the pool; with an error (or once lost) the pool discards it. */
  release(error?: Error): void;
  /** What to throw for `error` raised by work on this connection. */
  failure(error: unknown): unknown;
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
    if (isConnectionLost(error)) {
      // Accepted, then closed before the session began: a server going down or a proxy with nothing behind it.
      throw new TransientError('database_unavailable', `PostgreSQL closed the connection while it was being opened (${code ?? message})`, { cause: error });
    }
    if (code && REFUSED.has(code)) {
      throw new UserError('database_refused', `PostgreSQL refused the connection: ${message}. Check DATABASE_URL (or PG_HOST, APP_DB_USER, APP_DB_PASSWORD, PG_DATABASE)`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * What says a connection died under the work that used it: the server ended
 * the session (57P01 admin shutdown, as `pg_terminate_backend` does; 57P02
 * crash; 57P03 starting up), the connection class 08, or the socket went
 * away (a failover, a restart, a network cut) and node-postgres says so in
 * words only.
 */
const LOST_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED']);
const LOST_MESSAGES = ['Connection terminated unexpectedly', 'Connection terminated', 'is not queryable', 'Client was closed'];

export function isConnectionLost(error: unknown): boolean {
  if (isAppError(error)) return error.code === 'database_connection_lost';
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && LOST_CODES.has(code)) return true;
  return typeof message === 'string' && LOST_MESSAGES.some((m) => message.includes(m));
}

/** A retryable error for work whose connection died; `cause` is what the work itself saw, when it differs. */
function lostError(error: unknown, cause: unknown = error): AppError {
  if (isAppError(error) && error.code === 'database_connection_lost') return error;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const why = [typeof code === 'string' ? code : undefined, typeof message === 'string' ? message : undefined].filter(Boolean).join(' ');
  return new TransientError('database_connection_lost', `The connection to PostgreSQL was lost (${why || 'closed'}); the work that used it can be retried`, { cause });
}

