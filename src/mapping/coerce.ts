import { describeNumberText, describeValue, kindOf } from './describe.js';
import { epochToMs, formatTimestamp, formatUtcDate, MAX_EPOCH_MS, MIN_EPOCH_MS, parseTemporal } from './datetime.js';
import type { ColumnType } from './mapping.schema.js';

/**
 * Turning a source value into what the warehouse loader receives for a
 * column type. The representation of each type:
 *
 * - string: a JS string. Numbers and booleans are written out; objects and
 *   arrays are refused (a JSON column is the place for them).
 * - integer: a JS number when it is a safe integer, else a string of digits
 *   (int8 values beyond 2^53 would lose digits as numbers).
 * - number: a JS number (float8); finite only.
 * - boolean: true or false.
 * - date: `YYYY-MM-DD`.
 * - timestamp: `YYYY-MM-DDTHH:MM:SS.sssZ`, always UTC with milliseconds.
 * - json: the value itself; strings stay strings.
 *
 * Text containing NUL (U+0000) is refused for string and json: PostgreSQL
 * cannot store it in text or jsonb, and failing here names the field instead
 * of failing the whole load.
 */

export type CoerceResult = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * A refused value. Internal coercers return either the converted value or a
 * Refusal so the per-record hot path allocates nothing when values are fine.
 */
export class Refusal {
  constructor(readonly reason: string) {}
}

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

// A plain decimal: optional sign, digits with an optional point, optional exponent. No separators, no hex.
const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

const hasNul = (s: string): boolean => s.includes('\u0000');

const nulRefusal = (value: string): Refusal =>
  new Refusal(`${describeValue(value)} contains a NUL character (\\u0000), which PostgreSQL cannot store`);

function toText(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return hasNul(value) ? nulRefusal(value) : value;
    case 'number':
      return Number.isFinite(value) ? String(value) : new Refusal(`${value} is not a finite number`);
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      if (value instanceof Date) {
        return Number.isNaN(value.getTime()) ? new Refusal('expected text, got an invalid date') : value.toISOString();
      }
      return new Refusal(`expected text, got ${kindOf(value)}`);
  }
}

/** The integer written in `text` as a canonical string of digits, or why not. */
function decimalToInteger(text: string): string | Refusal {
  const m = DECIMAL_RE.exec(text);
  const intPart = m?.[2] ?? '';
  const fracPart = m?.[3] ?? '';
  if (!m || (intPart === '' && fracPart === '')) return new Refusal(`${describeValue(text)} is not an integer`);
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  const digits = (intPart + fracPart).replace(/^0+/, '');
  if (digits === '') return '0';
  // Where the decimal point falls within `digits` once the exponent is applied.
  const point = digits.length - fracPart.length + exponent;
  if (point > 19) return new Refusal(`${describeNumberText(text)} is out of range for an integer (64-bit)`);
  if (point < digits.length && !/^0*$/.test(digits.slice(Math.max(point, 0)))) {
    return new Refusal(`${describeNumberText(text)} is not a whole number`);
  }
  if (point <= 0) return '0';
  const whole = digits.slice(0, point).padEnd(point, '0');
  return m[1] === '-' ? `-${whole}` : whole;
}

/** A whole number within int8 as a number (safe) or a digit string (beyond 2^53). */
function fromBigInt(n: bigint, shown: string): unknown {
  if (n < INT8_MIN || n > INT8_MAX) return new Refusal(`${shown} is out of range for an integer (64-bit)`);
  const asNumber = Number(n);
  return Number.isSafeInteger(asNumber) ? asNumber : n.toString();
}

function toInteger(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return new Refusal(`${value} is not a finite number`);
      if (!Number.isInteger(value)) return new Refusal(`${value} is not a whole number`);
      if (Number.isSafeInteger(value)) return value === 0 ? 0 : value; // no -0
      return fromBigInt(BigInt(value), String(value));
    case 'bigint':
      return fromBigInt(value, value.toString());
    case 'string': {
      const text = value.trim();
      if (text === '') return new Refusal('empty text is not an integer');
      const digits = decimalToInteger(text);
      return digits instanceof Refusal ? digits : fromBigInt(BigInt(digits), describeNumberText(text));
    }
    case 'boolean':
      return new Refusal(`${value} is not an integer`);
    default:
      return new Refusal(`expected an integer, got ${kindOf(value)}`);
  }
}

function toNumber(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : new Refusal(`${value} is not a finite number`);
    case 'bigint': {
      const n = Number(value);
      return Number.isFinite(n) ? n : new Refusal(`${value} is out of range for a number`);
    }
    case 'string': {
      const text = value.trim();
      if (text === '') return new Refusal('empty text is not a number');
      const m = DECIMAL_RE.exec(text);
      if (m && (m[2] !== '' || (m[3] ?? '') !== '')) {
        const n = Number(text);
        return Number.isFinite(n) ? n : new Refusal(`${describeNumberText(text)} is out of range for a number`);
      }
      // "1,234.5" is 1234.5 in one locale and 1.2345 in another; guessing would corrupt data silently.
      if (/^[+-]?[\d.,' ]+$/.test(text) && /\d/.test(text)) {
        return new Refusal(`${describeValue(value)} is not a number (digit separators are ambiguous across locales)`);
      }
      return new Refusal(`${describeValue(value)} is not a number`);
    }
    case 'boolean':
      return new Refusal(`${value} is not a number`);
    default:
      return new Refusal(`expected a number, got ${kindOf(value)}`);
  }
}

const BOOLEAN_WORDS = new Map<string, boolean>([
  ['true', true],
  ['false', false],
  ['t', true],
  ['f', false],
  ['yes', true],
  ['no', false],
  ['y', true],
  ['n', false],
  ['1', true],
  ['0', false],
]);

function toBoolean(value: unknown): unknown {
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
    case 'bigint':
      // Only 1 and 0: reading 2 or -1 as true would hide a wrongly mapped field.
      if (value === 1 || value === 1n) return true;
      if (value === 0 || value === 0n) return false;
      return new Refusal(`${value} is not a boolean (only 1 and 0 are)`);
    case 'string': {
      const word = BOOLEAN_WORDS.get(value.trim().toLowerCase());
      return word ?? new Refusal(`${describeValue(value)} is not a boolean`);
    }
    default:
      return new Refusal(`expected a boolean, got ${kindOf(value)}`);
  }
}

function temporalRefusal(value: string, problem: 'format' | 'invalid' | 'range', what: 'date' | 'timestamp'): Refusal {
  switch (problem) {
    case 'format':
      return /^[+-]?\d+(\.\d+)?$/.test(value.trim())
        ? new Refusal(`${describeValue(value)} is not a ${what} (epoch numbers must be sent as numbers, not text)`)
        : new Refusal(`${describeValue(value)} is not a ${what} (expected YYYY-MM-DD or an ISO 8601 timestamp)`);
    case 'invalid':
      return new Refusal(`${describeValue(value)} is not a valid ${what}`);
    case 'range':
      return new Refusal(`${describeValue(value)} is out of range (years 0001-9999)`);
  }
}

function toDate(value: unknown): unknown {
  if (typeof value === 'string') {
    const parsed = parseTemporal(value.trim());
    // The date as written, not converted to UTC: "2024-01-02T00:00:00+02:00"
    // is January 2nd to whoever wrote it (APIs often send local midnight with
    // an offset), and PostgreSQL's own '…'::date reads it the same way.
    return typeof parsed === 'string' ? temporalRefusal(value, parsed, 'date') : parsed.date;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) return new Refusal('expected a date, got an invalid date');
    if (ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS) return new Refusal('the date is out of range (years 0001-9999)');
    // A Date object carries no offset of its own, so its date is taken in UTC.
    return formatUtcDate(ms);
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    // A number could be epoch seconds, milliseconds, days, or 20240102 read
    // as yyyymmdd: any guess would be wrong for some source, silently.
    return new Refusal(`${value} is a number, not a date (send text like "2024-01-02", or map it as a timestamp)`);
  }
  return new Refusal(`expected a date, got ${kindOf(value)}`);
}

function toTimestamp(value: unknown): unknown {
  if (typeof value === 'string') {
    // Text without an offset is read as UTC: the server's zone is not the source's either.
    const parsed = parseTemporal(value.trim());
    return typeof parsed === 'string' ? temporalRefusal(value, parsed, 'timestamp') : formatTimestamp(parsed.epochMs);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return new Refusal(`${value} is not a finite number`);
    const ms = epochToMs(value);
    if (ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS) {
      return new Refusal(`${value} is out of range for a timestamp (epoch seconds or milliseconds, years 0001-9999)`);
    }
    return formatTimestamp(ms);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) return new Refusal('expected a timestamp, got an invalid date');
    if (ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS) return new Refusal('the timestamp is out of range (years 0001-9999)');
    return formatTimestamp(ms);
  }
  return new Refusal(`expected a timestamp, got ${kindOf(value)}`);
}

/** Whether a JSON tree holds a NUL in a string or key; iterative, as API payloads can nest deeply. */
function jsonHasNul(root: object): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (hasNul(value)) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        if (hasNul(key)) return true;
        stack.push((value as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

function toJson(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return hasNul(value) ? nulRefusal(value) : value;
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : new Refusal(`${value} is not a finite number`);
    case 'object':
      if (value === null) return new Refusal('expected a JSON value, got null');
      return jsonHasNul(value) ? new Refusal(`${kindOf(value)} holding a NUL character (\\u0000), which PostgreSQL cannot store`) : value;
    default:
      return new Refusal(`expected a JSON value, got ${kindOf(value)}`);
  }
}

const COERCERS: Record<ColumnType, (value: unknown) => unknown> = {
  string: toText,
  integer: toInteger,
  number: toNumber,
  boolean: toBoolean,
  date: toDate,
  timestamp: toTimestamp,
  json: toJson,
};

/** The converter for a type, returning the value or a Refusal; for hot loops that precompile. */
export function coercerFor(type: ColumnType): (value: unknown) => unknown {
  return COERCERS[type];
}

/**
 * Converts `value` to the representation of `type` (see the top of this
 * file), or says why it cannot. null and undefined are refused: missing
 * values are the mapper's business (defaults, required fields).
 */
export function coerce(value: unknown, type: ColumnType): CoerceResult {
  const result = COERCERS[type](value);
  return result instanceof Refusal ? { ok: false, reason: result.reason } : { ok: true, value: result };
}
