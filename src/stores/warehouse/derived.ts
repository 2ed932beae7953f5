import { createHash } from 'node:crypto';
import type { Queryable } from '../../db/index.js';
import { UserError } from '../../errors/index.js';
import type { ColumnType } from '../../mapping/index.js';
import { readTable, recordCounts } from './catalog.js';
import { PG_TYPES } from './column-types.js';
import { encodeValue } from './copy-text.js';
import { checkColumnName, checkOrgId, checkTableName, qualify, quoteIdent } from './identifiers.js';
import type { WarehouseContext } from './load.js';
import { readMetadata, writeMetadata } from './metadata.js';

/**
 * Derived tables: tables Sluice computes from another table and replaces
 * whole (`orders__forecast`, `orders__plan`), written by several tasks at
 * once (the shards of a forecast run) and published together, atomically.
 *
 * 1. `stage` creates a staging table `_sluice_stage_<key>` with the
 *    columns, plus `_sluice_part` and `_sluice_attempt`.
 * 2. Each part (a shard) `writeStaged`s its rows, tagged with its part and
 *    attempt, in batches of their own: nothing is visible to readers yet.
 *    A retried part writes under its new attempt; a part's older attempts
 *    are deleted as it starts, and whatever a lost attempt still writes is
 *    left out at publish.
 * 3. `publishStaged` (one transaction for every table given): keeps only
 *    the rows of each part's successful attempt, checks that their count is
 *    what the part reported (a missing row fails the publish rather than
 *    showing half a result), drops the two tag columns, indexes, then drops
 *    the previous table and renames the staging table in its place. A
 *    reader sees the previous result or the new one, never a mix. The
 *    table's comment records the run, so a publish repeated after its commit
 *    (a retried task) only mirrors the metadata again.
 *
 * Derived table names end with a suffix of DERIVED_SUFFIXES after a valid
 * table name, so they never collide with a user's table (which cannot hold
 * `__`). They are listed and read by the Data API like any table.
 */
export const DERIVED_SUFFIXES = ['__forecast', '__plan'] as const;

/** Whether `name` is `<table><suffix>` for a valid table name and a derived suffix. */
export function isDerivedTableName(name: string): boolean {
  return DERIVED_SUFFIXES.some((suffix) => {
    if (!name.endsWith(suffix)) return false;
    try {
      checkTableName(name.slice(0, -suffix.length));
      return true;
    } catch {
      return false;
    }
  });
}

export interface DerivedColumn {
  name: string;
  type: ColumnType;
}

export interface StageRequest {
  /** The derived table this staging table will become (`orders__plan`). */
  table: string;
  columns: readonly DerivedColumn[];
  /** What the staging table is for (a run id): kept in its comment, for cleaning up after failed runs. */
  owner: string;
}

export interface StagedTable {
  staging: string;
  table: string;
  columns: DerivedColumn[];
}

export interface PublishRequest {
  staging: string;
  table: string;
  /** The part attempts whose rows are the result, with the number of rows each wrote. */
  parts: readonly { part: number; attempt: number; rows: number }[];
  /** Column lists to index the published table on (the item columns, say). */
  indexes: readonly (readonly string[])[];
  /** Recorded in the table's comment: `publishStaged` of the same run again does not publish twice. */
  runId: string;
}

const STAGING_PREFIX = '_sluice_stage_';
const PART = '_sluice_part';
const ATTEMPT = '_sluice_attempt';

/** The staging table of a derived table for an owner (a run): the same name for every try of the run. */
export function stagingName(table: string, owner: string): string {
  return `${STAGING_PREFIX}${createHash('sha256').update(`${owner}\u0000${table}`).digest('hex').slice(0, 24)}`;
}

/** A fixed index name per derived table and position (`<table>__forecast` leaves no room for a suffix). */
const indexName = (table: string, i: number) => `_sluice_ix_${createHash('sha256').update(table).digest('hex').slice(0, 20)}_${i}`;

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

function checkDerived(table: string): void {
  if (!isDerivedTableName(table)) throw new UserError('invalid_config', `"${table}" is not a derived table name (<table>${DERIVED_SUFFIXES.join(' or ')})`);
}

/** Creates the staging table afresh (a previous try's is dropped). */
export async function stage(ctx: WarehouseContext, orgId: string, request: StageRequest): Promise<StagedTable> {
  checkOrgId(orgId);
  checkDerived(request.table);
  for (const c of request.columns) checkColumnName(c.name);
  const { db, schema } = await ctx.locations.get(orgId);
  const staging = stagingName(request.table, request.owner);
  const name = qualify(schema, staging);
  const defs = [...request.columns.map((c) => `${quoteIdent(c.name)} ${PG_TYPES[c.type]}`), `${PART} integer NOT NULL`, `${ATTEMPT} integer NOT NULL`];
  await db.transaction(async (tx) => {
    await tx.query(`DROP TABLE IF EXISTS ${name}`);
    await tx.query(`CREATE TABLE ${name} (${defs.join(', ')})`);
    await tx.query(`COMMENT ON TABLE ${name} IS ${literal(JSON.stringify({ owner: request.owner, table: request.table }))}`);
  });
  return { staging, table: request.table, columns: request.columns.map((c) => ({ ...c })) };
}

/**
 * Deletes a part's rows of other attempts than `tag.attempt` (a retried
 * shard starting over). `result_incomplete` when the staging table is gone.
 */
export async function clearPart(ctx: WarehouseContext, orgId: string, staged: StagedTable, tag: { part: number; attempt: number }): Promise<void> {
  checkOrgId(orgId);
  const { db, schema } = await ctx.locations.get(orgId);
  const name = qualify(schema, staged.staging);
  const { rows: exists } = await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [name]);
  if (!exists[0]!.ok) {
    throw new UserError('result_incomplete', `the staging table of ${staged.table} is gone (the run was cleaned up after it failed): trigger the forecast again`);
  }
  await db.query(`DELETE FROM ${name} WHERE ${PART} = $1 AND ${ATTEMPT} <> $2`, [tag.part, tag.attempt]);
}

/**
 * Writes rows of one part (arrays in the staged columns' order) under its
 * attempt, in one COPY. A value that does not fit its column is a bug of
 * the caller: it fails the write with the column named.
 */
export async function writeStaged(ctx: WarehouseContext, orgId: string, staged: StagedTable, tag: { part: number; attempt: number }, rows: readonly (readonly unknown[])[]): Promise<number> {
  checkOrgId(orgId);
  if (rows.length === 0) return 0;
  const { db, schema } = await ctx.locations.get(orgId);
  const copy = `COPY ${qualify(schema, staged.staging)} (${[...staged.columns.map((c) => quoteIdent(c.name)), PART, ATTEMPT].join(', ')}) FROM STDIN`;
  const suffix = `\t${Number(tag.part)}\t${Number(tag.attempt)}\n`;
  let text = '';
  for (const row of rows) {
    for (let i = 0; i < staged.columns.length; i++) {
      const column = staged.columns[i]!;
      const encoded = encodeValue(row[i], column.type);
      if (!encoded.ok) throw new Error(`derived table ${staged.table}, column ${column.name}: ${encoded.reason}`);
      text += i === 0 ? encoded.text : `\t${encoded.text}`;
    }
    text += suffix;
  }
  return db.copyFrom(
    copy,
    (async function* () {
      yield text;
    })(),
  );
}

/** The staging tables of an organisation with their owner (the run), for cleaning up after failed runs. */
export async function listStaged(ctx: WarehouseContext, orgId: string): Promise<{ staging: string; owner: string | null; table: string | null }[]> {
  checkOrgId(orgId);
  const { db, schema } = await ctx.locations.get(orgId);
  const { rows } = await db.query<{ name: string; comment: string | null }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname LIKE '\\_sluice\\_stage\\_%'`,
    [schema],
  );
  return rows.map((r) => {
    let parsed: { owner?: unknown; table?: unknown } = {};
    try {
      parsed = JSON.parse(r.comment ?? '{}') as typeof parsed;
    } catch {
      // Not ours to read: keep it, unnamed.
    }
    return { staging: r.name, owner: typeof parsed.owner === 'string' ? parsed.owner : null, table: typeof parsed.table === 'string' ? parsed.table : null };
  });
}

export async function dropStaged(ctx: WarehouseContext, orgId: string, stagings: readonly string[]): Promise<void> {
  checkOrgId(orgId);
  const { db, schema } = await ctx.locations.get(orgId);
  for (const staging of stagings) {
    if (!staging.startsWith(STAGING_PREFIX)) continue;
    await db.query(`DROP TABLE IF EXISTS ${qualify(schema, staging)}`);
  }
}

/** The run that published a derived table (from its comment), or null. */
async function publishedBy(q: Queryable, schema: string, table: string): Promise<string | null> {
  const { rows } = await q.query<{ comment: string | null }>(`SELECT obj_description(to_regclass($1), 'pg_class') AS comment`, [qualify(schema, table)]);
  const match = /^sluice run (.+)$/.exec(rows[0]?.comment ?? '');
  return match ? match[1]! : null;
}

/**
 * Publishes staged tables in one transaction (see the header): each
 * replaces its derived table, or none does. Returns the rows of each.
 */
export async function publishStaged(ctx: WarehouseContext, orgId: string, requests: readonly PublishRequest[]): Promise<{ table: string; rows: number }[]> {
  checkOrgId(orgId);
  for (const r of requests) checkDerived(r.table);
  const location = await ctx.locations.get(orgId);
  const { db, schema } = location;
  const published = await db.transaction(async (tx) => {
    const out: { table: string; rows: number; columns: DerivedColumn[]; fresh: boolean }[] = [];
    for (const request of requests) {
      const staging = qualify(schema, request.staging);
      const final = qualify(schema, request.table);
      await tx.query('SELECT pg_advisory_xact_lock(7352003, hashtext($1))', [final]);
      const { rows: exists } = await tx.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [staging]);
      if (!exists[0]!.ok) {
        if ((await publishedBy(tx, schema, request.table)) === request.runId) {
          // Published by an earlier try of this task, which could not record it: only the metadata is left to do.
          const { rows } = await tx.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${final}`);
          const physical = await readTable(tx, schema, request.table);
          out.push({ table: request.table, rows: Number(rows[0]!.n), columns: physical?.columns ?? [], fresh: false });
          continue;
        }
        throw new UserError('result_incomplete', `the staged result of ${request.table} is gone (the run was cleaned up after it failed): trigger the forecast again`);
      }
      // No part attempt may write from here on: what a lost attempt wrote is deleted below.
      await tx.query(`LOCK TABLE ${staging} IN ACCESS EXCLUSIVE MODE`);
      const keep = request.parts.map((p) => `(${Number(p.part)}, ${Number(p.attempt)})`);
      await tx.query(`DELETE FROM ${staging} WHERE ${keep.length ? `(${PART}, ${ATTEMPT}) NOT IN (${keep.join(', ')})` : 'true'}`);
      const { rows: counts } = await tx.query<{ part: number; n: string | number }>(`SELECT ${PART} AS part, count(*) AS n FROM ${staging} GROUP BY 1`);
      const found = new Map(counts.map((c) => [Number(c.part), Number(c.n)]));
      for (const p of request.parts) {
        const n = found.get(p.part) ?? 0;
        if (n !== p.rows) {
          throw new UserError('result_incomplete', `${request.table}: shard ${p.part} (try ${p.attempt}) reported ${p.rows} rows but ${n} are staged; nothing was published: trigger the forecast again`);
        }
      }
      await tx.query(`ALTER TABLE ${staging} DROP COLUMN ${PART}, DROP COLUMN ${ATTEMPT}`);
      const physical = await readTable(tx, schema, request.staging);
      await tx.query(`DROP TABLE IF EXISTS ${final}`);
      await tx.query(`ALTER TABLE ${staging} RENAME TO ${quoteIdent(request.table)}`);
      for (const [i, columns] of request.indexes.entries()) {
        await tx.query(`CREATE INDEX ${quoteIdent(indexName(request.table, i))} ON ${final} (${columns.map(quoteIdent).join(', ')})`);
      }
      await tx.query(`COMMENT ON TABLE ${final} IS ${literal(`sluice run ${request.runId}`)}`);
      const rows = request.parts.reduce((sum, p) => sum + p.rows, 0);
      out.push({ table: request.table, rows, columns: physical?.columns ?? [], fresh: true });
    }
    // Counts and versions beside the tables, as loads record theirs; mirrored to the metadata below.
    const versions: { table: string; rows: number; columns: DerivedColumn[]; version: number }[] = [];
    for (const p of out) versions.push({ ...p, ...(await recordCounts(tx, schema, p.table, { set: { rows: p.rows, rejected: 0 } })) });
    return versions;
  });
  for (const p of published) {
    const previous = await readMetadata(ctx.metadata, orgId, p.table);
    await writeMetadata(
      ctx.metadata,
      orgId,
      p.table,
      { columns: p.columns.map((c) => ({ name: c.name, type: c.type, nullable: previous?.columns.find((x) => x.name === c.name)?.nullable ?? true })), primaryKey: null },
      { rows: p.rows, rejected: 0, version: p.version },
    );
  }
  return published.map((p) => ({ table: p.table, rows: p.rows }));
}

/** Drops derived tables (and their metadata): the forecast of a table that was turned off and cleared. */
export async function dropDerived(ctx: WarehouseContext, orgId: string, tables: readonly string[]): Promise<void> {
  checkOrgId(orgId);
  const { db, schema } = await ctx.locations.get(orgId);
  for (const table of tables) {
    checkDerived(table);
    await db.query(`DROP TABLE IF EXISTS ${qualify(schema, table)}`);
    await ctx.metadata.query('DELETE FROM warehouse_tables WHERE org_id = $1 AND table_name = $2', [orgId, table]);
  }
}
