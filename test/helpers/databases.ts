import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { dropWithRetries } from './drop-database.js';
import { migrate, PgliteDatabase, PostgresDatabase, type Database, type DatabaseKind } from '../../src/db/index.js';

/**
 * Runs a suite once per database kind: on embedded PGlite always, and on a
 * real PostgreSQL server when TEST_DATABASE_URL is set. Each suite gets a
 * fresh database (an in-memory PGlite, or a new server database dropped
 * afterwards), already migrated. In CI the server variant is mandatory.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

if (!TEST_DATABASE_URL && process.env.CI) {
  throw new Error('TEST_DATABASE_URL must be set in CI: every database test runs on PGlite and on PostgreSQL');
}

export { dropWithRetries } from './drop-database.js';

export const DATABASE_KINDS: DatabaseKind[] = TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface DatabaseFixture {
  kind: DatabaseKind;
  /** The migrated database of this suite. */
  readonly db: Database;
  /** For the server kind: the URL of this suite's own database (for child processes). */
  readonly url: string | undefined;
}

/** Creates a uniquely named database on the test server and returns its URL; `drop` removes it. */
export async function createServerDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `sluice_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await dropWithRetries(c, name);
      } finally {
        await c.end();
      }
    },
  };
}

export function describeEachDatabase(name: string, suite: (fixture: DatabaseFixture) => void, options: { migrate?: boolean; kinds?: DatabaseKind[] } = {}): void {
  for (const kind of DATABASE_KINDS.filter((k) => options.kinds === undefined || options.kinds.includes(k))) {
    describe(`${name} [${kind}]`, () => {
      let db: Database | undefined;
      let server: { url: string; drop: () => Promise<void> } | undefined;
      const fixture: DatabaseFixture = {
        kind,
        get db() {
          if (!db) throw new Error('database not ready');
          return db;
        },
        get url() {
          return server?.url;
        },
      };
      beforeAll(async () => {
        if (kind === 'pglite') {
          db = await PgliteDatabase.open();
        } else {
          server = await createServerDatabase();
          db = new PostgresDatabase({ url: server.url, poolMax: 5 });
        }
        if (options.migrate !== false) await migrate(db);
      });
      afterAll(async () => {
        await db?.close();
        await server?.drop();
      });
      suite(fixture);
    });
  }
}
