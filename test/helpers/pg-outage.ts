import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/**
 * Ways to take the real PostgreSQL server away from Sluice without touching
 * the shared server itself (other tests use it):
 * - `terminateSluiceBackends`: what an administrator, a failover or a
 *   restart does to open connections (57P01 on each of Sluice's backends);
 * - `startPgProxy`: a TCP relay on loopback in front of the server; `cut()`
 *   drops every connection through it and refuses new ones, as a server that
 *   is down does, until `restore()`.
 */

/**
 * Terminates the backends of Sluice (application_name sluice…) connected to
 * `database` or to a database whose name starts with `prefix` (the
 * per-organisation warehouses); returns how many it ended, once they have
 * exited (the server's answer to their clients is then on its way).
 */
export async function terminateSluiceBackends(adminUrl: string, database: string, prefix?: string): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'test-terminator' });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
          WHERE (datname = $1 OR ($2::text IS NOT NULL AND starts_with(datname, $2::text)))
            AND application_name LIKE 'sluice%' AND pid <> pg_backend_pid()
       ) t`,
      [database, prefix ?? null],
    );
    return rows[0]!.n;
  } finally {
    await admin.end();
  }
}

/**
 * Whether one of Sluice's backends on `database` (or a database named
 * `prefix…`) is inside a transaction, optionally one whose current statement
 * matches `statement` (ILIKE): the moment to terminate it mid-work.
 */
export async function sluiceInTransaction(adminUrl: string, where: { database?: string; prefix?: string; statement?: string }): Promise<boolean> {
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'test-terminator' });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT 1 FROM pg_stat_activity
        WHERE (datname = $1 OR starts_with(datname, $2::text))
          AND application_name LIKE 'sluice%' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()
          AND ($3::text IS NULL OR query ILIKE $3::text)`,
      [where.database ?? null, where.prefix ?? null, where.statement ?? null],
    );
    return rows.length > 0;
  } finally {
    await admin.end();
  }
}

export interface PgProxy {
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /** Drops every connection and refuses new ones (each is closed as soon as it opens). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP relay on 127.0.0.1 to the PostgreSQL server of `targetUrl`. */
export async function startPgProxy(targetUrl: string): Promise<PgProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      down = true;
      // A reset, as from a host that went away, rather than a polite close.
      for (const s of sockets) s.resetAndDestroy();
    },
    restore() {
      down = false;
    },
    async close() {
      down = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
