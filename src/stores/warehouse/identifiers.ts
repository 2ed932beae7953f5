import { ColumnName, Identifier, toColumnName } from '../../mapping/index.js';
import { UserError } from '../../errors/index.js';

/**
 * Names that reach SQL. Every table and column name is validated against
 * the ColumnName rule of src/mapping (a-z, 0-9, _, not starting with a digit
 * or `_sluice_`) and then quoted anyway, so neither a bad name nor a
 * reserved word can change what a statement does.
 *
 * Names Sluice derives from a table use a double underscore (`orders__rejected`,
 * `orders__pkey`), so table names may not contain one: a user's table can
 * then never collide with another table's rejected rows or index. A table
 * name is at most 53 characters so that `__rejected` still fits PostgreSQL's
 * 63-byte limit without being cut.
 */

export const MAX_TABLE_NAME_LENGTH = 53;
export const REJECTED_SUFFIX = '__rejected';

/** Organisation ids as the orgs table allows them (0001_foundation.sql). */
const ORG_ID_RE = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** `"name"`, with any `"` doubled: safe for any string. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`. */
export function qualify(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

function invalid(what: string, name: unknown, problem: string, suggestion?: string): UserError {
  const shown = typeof name === 'string' ? JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name) : String(name);
  const hint = suggestion !== undefined && suggestion !== name ? ` (a valid name would be "${suggestion}")` : '';
  return new UserError('invalid_config', `${what} ${shown} is not valid: ${problem}${hint}`, {
    details: { issues: [{ field: what, message: problem }], ...(suggestion !== undefined ? { suggestion } : {}) },
  });
}

/** The name itself when it is a valid column name; else an `invalid_config` UserError naming it. */
export function checkColumnName(name: unknown, what = 'column name'): string {
  const parsed = ColumnName.safeParse(name);
  if (parsed.success) return parsed.data;
  const problem = parsed.error.issues[0]?.message ?? 'not a valid name';
  throw invalid(what, name, problem, typeof name === 'string' ? toColumnName(name) : undefined);
}

/** The name itself when it is a valid table name (see above); else an `invalid_config` UserError. */
export function checkTableName(name: unknown): string {
  const suggestion = typeof name === 'string' ? toColumnName(name).replace(/_{2,}/g, '_').slice(0, MAX_TABLE_NAME_LENGTH).replace(/_+$/, '') : undefined;
  const parsed = Identifier.safeParse(name);
  if (!parsed.success) throw invalid('table name', name, parsed.error.issues[0]?.message ?? 'not a valid name', suggestion || undefined);
  const table = parsed.data;
  if (table.length > MAX_TABLE_NAME_LENGTH) {
    throw invalid('table name', table, `must be at most ${MAX_TABLE_NAME_LENGTH} characters`, suggestion);
  }
  if (table.includes('__')) throw invalid('table name', table, 'must not contain "__" (Sluice names derived tables with it)', suggestion);
  return table;
}

/** Whether `name` could name a table, without saying why not (for reads, where a bad name is simply unknown). */
export function isTableName(name: unknown): name is string {
  try {
    checkTableName(name);
    return true;
  } catch {
    return false;
  }
}

/** The organisation id itself when it has the shape the orgs table allows. */
export function checkOrgId(orgId: unknown): string {
  if (typeof orgId === 'string' && ORG_ID_RE.test(orgId)) return orgId;
  throw new UserError('invalid_config', `organisation id ${JSON.stringify(orgId)} is not valid`);
}

/** The database (server) or schema (embedded) of an organisation's warehouse: `<prefix><orgId>`. */
export function locationName(prefix: string, orgId: string): string {
  return `${prefix}${checkOrgId(orgId)}`;
}

/** The table holding the rejected rows of `table`. */
export const rejectedTableName = (table: string): string => `${table}${REJECTED_SUFFIX}`;
