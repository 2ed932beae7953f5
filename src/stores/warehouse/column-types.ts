import type { ColumnType } from '../../mapping/index.js';
import { quoteIdent } from './identifiers.js';

/**
 * Sluice's column types in PostgreSQL, and how a column changes type.
 *
 * number is `numeric`, not float8: amounts of money must add up exactly, and
 * numeric holds every decimal a source sends as text digit for digit (JS
 * numbers are written with the shortest digits that read back the same).
 */
export const PG_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'text',
  integer: 'bigint',
  number: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamptz',
  json: 'jsonb',
};

/** `format_type()` of each type as the catalog reports it → Sluice's type. */
const FROM_CATALOG: ReadonlyMap<string, ColumnType> = new Map([
  ['text', 'string'],
  ['bigint', 'integer'],
  ['numeric', 'number'],
  ['boolean', 'boolean'],
  ['date', 'date'],
  ['timestamp with time zone', 'timestamp'],
  ['jsonb', 'json'],
]);

/** Sluice's type of a column of `format_type` `pgType`, or null when Sluice did not make that type. */
export function typeFromCatalog(pgType: string): ColumnType | null {
  return FROM_CATALOG.get(pgType) ?? null;
}

/** ISO 8601 in UTC with milliseconds, as src/mapping writes timestamps (`…T03:04:05.000Z`). */
export const isoTimestamp = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
export const isoDate = (col: string): string => `to_char(${col}, 'YYYY-MM-DD')`;

/**
 * The `USING` expression converting column `name` from `from` to the wider
 * `to`, chosen so that no value is lost and old values read like the ones
 * the loader writes from then on:
 *
 * - bigint → numeric: exact.
 * - anything → text: the text the loader would write for that value
 *   (timestamps ISO with `Z`, dates `YYYY-MM-DD`, booleans `true`/`false`,
 *   numbers as their digits).
 * - date → timestamptz: midnight UTC, as src/mapping reads a bare date.
 * - anything → jsonb: the JSON number, boolean or string of the value.
 */
export function widenUsing(name: string, from: ColumnType, to: ColumnType): string {
  const col = quoteIdent(name);
  if (to === 'string') {
    if (from === 'timestamp') return isoTimestamp(col);
    if (from === 'date') return isoDate(col);
    return `${col}::text`;
  }
  if (to === 'number' && from === 'integer') return `${col}::numeric`;
  if (to === 'timestamp' && from === 'date') return `(${col}::timestamp AT TIME ZONE 'UTC')`;
  if (to === 'json') {
    if (from === 'timestamp') return `to_jsonb(${isoTimestamp(col)})`;
    if (from === 'date') return `to_jsonb(${isoDate(col)})`;
    return `to_jsonb(${col})`;
  }
  throw new Error(`no widening from ${from} to ${to}`);
}

/**
 * How a column is selected for the Data API, so both drivers return the same
 * JSON-safe values: int8 and numeric as text (converted by `readValue`),
 * dates and timestamps as ISO text.
 */
export function selectExpression(name: string, type: ColumnType | 'row_number'): string {
  const col = quoteIdent(name);
  switch (type) {
    case 'integer':
    case 'number':
      return `${col}::text AS ${col}`;
    case 'date':
      return `${isoDate(col)} AS ${col}`;
    case 'timestamp':
      return `${isoTimestamp(col)} AS ${col}`;
    default:
      return col;
  }
}

const INTEGER_TEXT_RE = /^-?\d+$/;

/** int8 or numeric text → a JS number when it holds the value exactly, else the text. */
export function readNumber(text: string | null): number | string | null {
  if (text === null) return null;
  if (INTEGER_TEXT_RE.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  // A decimal with at most 15 significant digits survives the trip through a double (DBL_DIG).
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  const n = Number(text);
  return digits.length <= 15 && Number.isFinite(n) ? n : text;
}
