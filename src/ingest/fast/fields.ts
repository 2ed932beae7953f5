import { coerce, FieldMapping, type ColumnType, type FieldMappingInput } from '../../mapping/index.js';
import { encodeValue, type CopyBytes, type CopyTarget } from '../../stores/warehouse/index.js';

/**
 * Text values written straight into COPY lines, skipping the record object,
 * the mapper's row and the loader's encoder, with exactly their result.
 *
 * For each warehouse column the plan knows which source field feeds it. A
 * value in the usual shape of its type (canonical digits, `YYYY-MM-DD`, the
 * ISO timestamp src/mapping writes, plain text) is checked and copied as it
 * is; any other value goes through src/mapping's `coerce` and the loader's
 * `encodeValue`, the very functions the ordinary path runs. Whenever the
 * ordinary path would refuse the row, or do anything but convert the value
 * (a default, a required field, a key column left empty), the fast path
 * declines the row and the caller sends it the ordinary way, which then
 * gives the reason. fields.test.ts checks both paths agree.
 */

/** One warehouse column of the line: where its value comes from and how it is written. */
export interface FieldPlan {
  /** The source field's name (a record's key), or null when no mapping fills the column (always NULL)... */
  key: string | null;
  /** ...and its index among the fields given to `planFields` (-1 when not among them). */
  source: number;
  /** The mapping's type, which converts the value... */
  mapType: ColumnType;
  /** ...and the column's type in the table, which the line is written for. */
  tableType: ColumnType;
  /** A null value is not simply NULL here (a default, a required field, a key column): decline. */
  nullDeclines: boolean;
}

const SIMPLE_PATH = /^\$\.([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * The plan for mappings written for `target`, reading rows whose fields are
 * `fieldNames` (in order; a CSV file's columns) or, when null, records of
 * any keys; null when the fast path cannot take such rows at all (a path
 * other than `$.name`, a missing field with a default, a mapped column the
 * load lacks, auto mode...). Mappings are assumed valid: `createMapper`
 * has checked them.
 */
export function planFields(mappings: readonly FieldMappingInput[], fieldNames: readonly string[] | null, target: CopyTarget): FieldPlan[] | null {
  if (mappings.length === 0) return null; // auto mode infers types from the values: the ordinary path's work
  const parsed = mappings.map((m) => FieldMapping.parse(m));
  const byTarget = new Map(parsed.map((m) => [m.target, m]));
  const columnNames = new Set(target.columns.map((c) => c.name));
  // A row holding a column the load does not have is refused by the loader: the ordinary path says so.
  if (parsed.some((m) => !columnNames.has(m.target))) return null;
  const keys = new Set(target.primaryKey ?? []);
  const plan: FieldPlan[] = [];
  for (const column of target.columns) {
    const mapping = byTarget.get(column.name);
    if (mapping === undefined) {
      if (keys.has(column.name)) return null;
      plan.push({ key: null, source: -1, mapType: column.type, tableType: column.type, nullDeclines: false });
      continue;
    }
    const path = SIMPLE_PATH.exec(mapping.source);
    if (path === null) return null;
    const hasDefault = mapping.default !== undefined && mapping.default !== null;
    const nullDeclines = hasDefault || mapping.required || keys.has(column.name);
    const key = path[1]!;
    if (key === '__proto__') return null;
    const source = fieldNames === null ? -1 : fieldNames.indexOf(key);
    if (fieldNames !== null && source === -1) {
      // The rows never hold this field: always null, unless null means more than NULL here.
      if (nullDeclines) return null;
      plan.push({ key: null, source: -1, mapType: mapping.type, tableType: column.type, nullDeclines });
      continue;
    }
    plan.push({ key, source, mapType: mapping.type, tableType: column.type, nullDeclines });
  }
  return plan;
}

// ---------------------------------------------------------------- values in their usual shape

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// ---------------------------------------------------------------- values in their usual shape, as UTF-8 bytes

const digitOf = (b: Uint8Array, i: number): number => {
  const d = b[i]! - 48;
  return d >= 0 && d <= 9 ? d : -100_000;
};

/** `YYYY-MM-DD` at `from`, a real date in years 0001-9999. */
function dateBytes(b: Uint8Array, from: number): boolean {
  if (b[from + 4] !== 45 || b[from + 7] !== 45) return false;
  const year = digitOf(b, from) * 1000 + digitOf(b, from + 1) * 100 + digitOf(b, from + 2) * 10 + digitOf(b, from + 3);
  const month = digitOf(b, from + 5) * 10 + digitOf(b, from + 6);
  const day = digitOf(b, from + 8) * 10 + digitOf(b, from + 9);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]!) return false;
  return !(month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)));
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ`: src/mapping reads it as that very instant and writes it back unchanged. */
function isoTimestampBytes(b: Uint8Array, from: number, to: number): boolean {
  if (to - from !== 24 || !dateBytes(b, from)) return false;
  if (b[from + 10] !== 84 || b[from + 13] !== 58 || b[from + 16] !== 58 || b[from + 19] !== 46 || b[from + 23] !== 90) return false;
  const hour = digitOf(b, from + 11) * 10 + digitOf(b, from + 12);
  const minute = digitOf(b, from + 14) * 10 + digitOf(b, from + 15);
  const second = digitOf(b, from + 17) * 10 + digitOf(b, from + 18);
  const ms = digitOf(b, from + 20) + digitOf(b, from + 21) + digitOf(b, from + 22);
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && ms >= 0;
}

/** Canonical integer digits (`0`, `-12`, no sign `+`, no leading zero, at most 18 digits): the same text comes out. */
function canonicalIntegerBytes(b: Uint8Array, from: number, to: number): boolean {
  let i = from;
  if (b[i] === 45) i++;
  const n = to - i;
  if (n < 1 || n > 18) return false;
  const first = b[i]!;
  if (first === 48) return n === 1 && i === from; // `0`, but not `-0` (which becomes 0) nor `007`
  if (first < 49 || first > 57) return false;
  for (i++; i < to; i++) {
    const c = b[i]!;
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * A decimal that JavaScript writes back as the same text once read as a
 * number: no exponent, no `+`, no leading zero, no trailing zero after the
 * point, at most 15 significant digits (two such decimals are never the
 * same double, so the shortest text of the double is this one) and not
 * below 1e-6 (written with an exponent).
 */
function canonicalNumberBytes(b: Uint8Array, from: number, to: number): boolean {
  let i = from;
  if (b[i] === 45) i++;
  const intStart = i;
  while (i < to && b[i]! >= 48 && b[i]! <= 57) i++;
  const intDigits = i - intStart;
  if (intDigits === 0 || (intDigits > 1 && b[intStart] === 48)) return false;
  const zeroInt = intDigits === 1 && b[intStart] === 48;
  if (i === to) return !(zeroInt && intStart !== from) && intDigits <= 15; // `-0` becomes 0
  if (b[i] !== 46) return false;
  i++;
  const fracStart = i;
  while (i < to && b[i]! >= 48 && b[i]! <= 57) i++;
  if (i !== to || i === fracStart || b[to - 1] === 48) return false;
  if (!zeroInt) return intDigits + (to - fracStart) <= 15;
  let zeros = 0;
  while (b[fracStart + zeros] === 48) zeros++;
  return zeros <= 5 && to - fracStart - zeros <= 15;
}

/** `true`, `f`, `yes`...: the words src/mapping reads, already lower case and trimmed; the COPY byte (t/f) or 0. */
function booleanBytes(b: Uint8Array, from: number, to: number): number {
  const c = b[from]!;
  switch (to - from) {
    case 1:
      return c === 116 || c === 121 || c === 49 ? 116 : c === 102 || c === 110 || c === 48 ? 102 : 0; // t y 1, f n 0
    case 2:
      return c === 110 && b[from + 1] === 111 ? 102 : 0; // no
    case 3:
      return c === 121 && b[from + 1] === 101 && b[from + 2] === 115 ? 116 : 0; // yes
    case 4:
      return c === 116 && b[from + 1] === 114 && b[from + 2] === 117 && b[from + 3] === 101 ? 116 : 0; // true
    case 5:
      return c === 102 && b[from + 1] === 97 && b[from + 2] === 108 && b[from + 3] === 115 && b[from + 4] === 101 ? 102 : 0; // false
    default:
      return 0;
  }
}

// ---------------------------------------------------------------- writing one value

/**
 * Writes the field of UTF-8 bytes `src[from, to)` (valid UTF-8; each pair
 * of `undouble` bytes standing for one, -1 for none) for `plan`; false when
 * the ordinary path must take the row, the output then holding part of the
 * field (the caller aborts the row). The value is not null: the caller
 * handles null. A value in its type's usual shape is checked and copied as
 * it is; any other is decoded and converted as the ordinary path does.
 */
export function writeFieldBytes(out: CopyBytes, plan: FieldPlan, src: Buffer, from: number, to: number, undouble: number): boolean {
  if (plan.mapType === plan.tableType) {
    switch (plan.mapType) {
      case 'string': {
        // Refused only for a NUL, which the ordinary path refuses too (and names the reason).
        const mark = out.mark;
        if (out.textBytes(src, from, to, undouble)) return true;
        out.rewind(mark);
        break;
      }
      case 'json': {
        const mark = out.mark;
        if (out.jsonStringSpanBytes(src, from, to, undouble)) return true;
        out.rewind(mark);
        break;
      }
      case 'integer':
        if (canonicalIntegerBytes(src, from, to)) {
          out.span(src, from, to);
          return true;
        }
        break;
      case 'number':
        if (canonicalNumberBytes(src, from, to)) {
          out.span(src, from, to);
          return true;
        }
        break;
      case 'boolean': {
        const b = booleanBytes(src, from, to);
        if (b !== 0) {
          out.byte(b);
          return true;
        }
        break;
      }
      case 'date':
        if (to - from === 10 && dateBytes(src, from)) {
          out.span(src, from, to);
          return true;
        }
        break;
      case 'timestamp':
        if (isoTimestampBytes(src, from, to)) {
          out.span(src, from, to);
          return true;
        }
        break;
    }
  }
  let value = src.toString('utf8', from, to);
  if (undouble >= 0) {
    const quote = String.fromCharCode(undouble);
    value = value.replaceAll(quote + quote, quote);
  }
  return writeValue(out, plan, value);
}

/** A value of any kind (a JSON record's number or object...), converted and encoded as the ordinary path does. */
export function writeValue(out: CopyBytes, plan: FieldPlan, value: unknown): boolean {
  const converted = coerce(value, plan.mapType);
  if (!converted.ok) return false;
  const encoded = encodeValue(converted.value, plan.tableType);
  if (!encoded.ok) return false;
  out.raw(encoded.text);
  return true;
}
