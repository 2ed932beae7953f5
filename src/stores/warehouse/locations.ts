import type { DatabaseConfig } from '../../config/index.js';
import { PostgresDatabase, type Database } from '../../db/index.js';
import { notFound, UserError } from '../../errors/index.js';
import { ensureCountersTable } from './catalog.js';
import { locationName, quoteIdent } from './identifiers.js';
import type { WarehouseLocation } from './warehouse.schema.js';

/**
 * Where each organisation's tables live.
 *
 * - On a PostgreSQL server: a database `<prefix><orgId>` of its own (the
 *   seed's `orgdata_<org_id>`), tables in its `public` schema, reached
 *   through a small pool per organisation on the server of DATABASE_URL.
 *   Another organisation's tables are then not even visible to a query.
 * - Embedded (PGlite has one database): a schema `<prefix><orgId>` in it.
 *
 * Either way callers get `{ db, schema }` and run the same SQL with
 * schema-qualified, quoted names.
 */
export class Locations {
  readonly #metadata: Database;
  readonly #database: DatabaseConfig;
  readonly #prefix: string;
  readonly #poolMax: number;
  /** One promise per organisation, so concurrent first calls create the database once. */
  readonly #cache = new Map<string, Promise<WarehouseLocation>>();
  #closed = false;

  constructor(metadata: Database, database: DatabaseConfig, prefix: string, poolMax: number) {
    if (metadata.kind !== database.kind) throw new Error(`the warehouse got a ${metadata.kind} database but ${database.kind} settings`);
    this.#metadata = metadata;
    this.#database = database;
    this.#prefix = prefix;
    this.#poolMax = poolMax;
  }

  /** Whether tables and the metadata share one database (embedded), so one transaction can cover both. */
  get sharesMetadata(): boolean {
    return this.#database.kind === 'pglite';
  }

  /** The organisation's location, created on first use. Unknown organisations are `not_found`. */
  get(orgId: string): Promise<WarehouseLocation> {
    if (this.#closed) return Promise.reject(new Error('the warehouse is closed'));
    const name = locationName(this.#prefix, orgId);
    let location = this.#cache.get(orgId);
    if (location === undefined) {
      location = this.#open(orgId, name);
      this.#cache.set(orgId, location);
      // A failure (server down, say) must not stick: the next call tries again.
      location.catch(() => this.#cache.delete(orgId));
    }
    return location;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const locations = await Promise.allSettled(this.#cache.values());
    this.#cache.clear();
    await Promise.all(
      locations.map((l) => (l.status === 'fulfilled' && l.value.db !== this.#metadata ? l.value.db.close() : undefined)),
    );
  }

  async #open(orgId: string, name: string): Promise<WarehouseLocation> {
    const { rows } = await this.#metadata.query('SELECT 1 FROM orgs WHERE id = $1', [orgId]);
    if (rows.length === 0) throw notFound('Organisation', orgId);
    if (this.#database.kind === 'pglite') {
      await this.#metadata.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(name)}`);
      await ensureCountersTable(this.#metadata, name);
      return { db: this.#metadata, schema: name };
    }
    await this.#createDatabase(name);
    const url = new URL(this.#database.url);
    url.pathname = `/${encodeURIComponent(name)}`;
    const db = new PostgresDatabase({ url: url.toString(), poolMax: this.#poolMax, applicationName: 'sluice-warehouse' });
    try {
      await ensureCountersTable(db, 'public');
    } catch (error) {
      await db.close();
      throw error;
    }
    return { db, schema: 'public' };
  }

  /**
   * CREATE DATABASE, idempotent and safe when several processes race: the
   * loser gets duplicate_database (42P04), or a unique violation on the
   * catalog (23505) when both got past the existence check at once.
   */
  async #createDatabase(name: string): Promise<void> {
    const { rows } = await this.#metadata.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length > 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        // CREATE DATABASE cannot run in a transaction; the pool runs it on its own.
        await this.#metadata.query(`CREATE DATABASE ${quoteIdent(name)}`);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === '42P04' || code === '23505') return;
        if (code === '42501') {
          throw new UserError('database_refused', `cannot create the warehouse database ${quoteIdent(name)}: the PostgreSQL role needs the CREATEDB privilege`, {
            cause: error,
          });
        }
        // 55006: the template database is busy (another CREATE DATABASE copying it); wait and retry.
        if (code === '55006' && attempt < 5) {
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          continue;
        }
        throw error;
      }
    }
  }
}
