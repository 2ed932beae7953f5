import pg from 'pg';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/**
 * Ways to take the real PostgreSQL server away from Sluice without touching
 * the shared server itself (other tests use it):
 * - `terminateSluiceBackends`: what an administrator, a failover or a
 *   restart does to open connections (57P01 on each of Sluice's backends);
 * - `startPgProxy`: a TCP proxy on loopback in front of the server; Sluice
 *   connects through it (`throughProxy`), and `setUp(false)` drops every
 *   connection and refuses new ones, as a server that is down does, until
 *   `setUp(true)`.
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

const urlOf = (adminUrl: string, database: string) => {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
};

/**
 * Holds `LOCK TABLE <table> IN SHARE MODE` in `database` until `release()`:
 * readers go on, writers of the table wait for it inside their transactions.
 * Sluice's work can so be stopped at a known point (a load about to write
 * its table) for its connections to be terminated there.
 */
export async function holdWriteLock(adminUrl: string, database: string, table: string): Promise<{ release(): Promise<void> }> {
  const c = new pg.Client({ connectionString: urlOf(adminUrl, database), application_name: 'test-locker' });
  await c.connect();
  await c.query('BEGIN');
  await c.query(`LOCK TABLE ${table} IN SHARE MODE`);
  return {
    async release() {
      await c.query('ROLLBACK');
      await c.end();
    },
  };
}

/** Whether one of Sluice's backends in `database` waits for a table lock (as for one held by holdWriteLock). */
export async function sluiceWaitsForTable(adminUrl: string, database: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'test-observer' });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT 1 FROM pg_stat_activity
        WHERE datname = $1 AND application_name LIKE 'sluice%' AND wait_event_type = 'Lock' AND wait_event = 'relation'`,
      [database],
    );
    return rows.length > 0;
  } finally {
    await admin.end();
  }
}

/** `url` (a PostgreSQL URL) through `proxy` (test/helpers/tcp-proxy.ts): its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  const p = new URL(proxy.url);
  u.hostname = p.hostname;
  u.port = p.port;
  return u.toString();
}

/** A TCP proxy in front of the PostgreSQL server of `url`, to make it unreachable to one Sluice (setUp(false)) and back. */
export function startPgProxy(url: string): Promise<TcpProxy> {
  const u = new URL(url);
  return startTcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
}
