import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './types.js';
import { METADATA_SCHEMA } from './types.js';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export interface MigrationReport {
  applied: { id: number; name: string }[];
  /** Every migration now recorded, old and new. */
  current: number;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * Arbitrary but fixed key for the advisory lock that serialises migrations:
 * two processes starting at once on one server both wait here, and the second
 * finds nothing left to do.
 */
const MIGRATION_LOCK_KEY = 7_352_001;

/** Reads `NNNN_name.sql` files in order; refuses gaps and duplicates, which mean a bad merge. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new Error(`Migration file name ${file} must look like 0001_name.sql`);
    const id = Number(match[1]);
    const expected = migrations.length + 1;
    if (id !== expected) throw new Error(`Migration ${file} should be numbered ${String(expected).padStart(4, '0')}`);
    migrations.push({ id, name: match[2]!, sql: await readFile(`${dir}/${file}`, 'utf8') });
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded, all in one transaction under an
 * advisory lock. Safe to call on every start and from several processes at once.
 */
export async function migrate(db: Database, migrations?: Migration[]): Promise<MigrationReport> {
  const all = migrations ?? (await loadMigrations());
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${METADATA_SCHEMA}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${METADATA_SCHEMA}.schema_migrations (
         id integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await tx.query<{ id: number; name: string }>(
      `SELECT id, name FROM ${METADATA_SCHEMA}.schema_migrations ORDER BY id`,
    );
    const done = new Map(rows.map((r) => [r.id, r.name]));
    const applied: MigrationReport['applied'] = [];
    for (const m of all) {
      const recorded = done.get(m.id);
      if (recorded !== undefined) {
        if (recorded !== m.name) {
          throw new Error(`Migration ${m.id} is recorded as "${recorded}" but the code calls it "${m.name}"`);
        }
        continue;
      }
      await tx.exec(`SET LOCAL search_path TO ${METADATA_SCHEMA}, public;\n${m.sql}`);
      await tx.query(`INSERT INTO ${METADATA_SCHEMA}.schema_migrations (id, name) VALUES ($1, $2)`, [m.id, m.name]);
      applied.push({ id: m.id, name: m.name });
    }
    const newest = Math.max(0, ...rows.map((r) => r.id), ...applied.map((a) => a.id));
    return { applied, current: newest };
  });
}
