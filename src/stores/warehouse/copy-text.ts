import { coerce, type ColumnType } from '../../mapping/index.js';
import { CopyBytes } from './copy-bytes.js';

/**
 * Rows → COPY text format, the hot path of every load.
 *
 * In the text format a row is one line, fields are separated by tabs, `\N`
 * is NULL, and inside a value backslash, tab, newline and carriage return
 * are written `\\`, `\t`, `\n`, `\r`. Nothing else needs escaping; NUL
 * cannot be stored at all, so a value holding one is refused.
 *
 * Values arrive already coerced by src/mapping (see its README), so each
 * type has a fast path for that representation, written straight into bytes
 * (RowEncoder, CopyBytes). Anything else goes through `coerce` to the
 * column's type (a column widened to text receives `42` as a number), and
 * what still does not fit is refused with a reason here, in JS, rather than
 * by PostgreSQL, which would abort the whole COPY. `encodeValue` is the
 * reference each fast path must agree with (copy-text.test.ts checks it).
 */

declare global {
  // ES2024, in Node since 20; the project's lib is ES2023.
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** A value refused by an encoder: why, in the same words src/mapping uses. */
class Refusal {
  constructor(readonly reason: string) {}
}

type Encoded = string | Refusal;

// Characters that need an escape, plus NUL, which is refused.
const NEEDS_ESCAPE_RE = /[\\\t\n\r\0]/;
const ESCAPE_RE = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeChar = (c: string): string => ESCAPES[c]!;

/** `s` escaped for a COPY text field; the caller has checked for NUL. */
export function escapeCopyText(s: string): string {
  return NEEDS_ESCAPE_RE.test(s) ? s.replace(ESCAPE_RE, escapeChar) : s;
}

const preview = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

function encodeText(s: string): Encoded {
  if (NEEDS_ESCAPE_RE.test(s)) {
    if (s.includes('\0')) return new Refusal(`${preview(s)} contains a NUL character (\\u0000), which PostgreSQL cannot store`);
    s = s.replace(ESCAPE_RE, escapeChar);
  }
  // A lone surrogate cannot be written as UTF-8: the driver would turn it into U+FFFD without a word.
  if (!s.isWellFormed()) return new Refusal(`${preview(s)} contains an unpaired UTF-16 surrogate (not valid Unicode)`);
  return s;
}

/** Finds `\u0000` and lone-surrogate escapes in JSON text (what JSON.stringify emits for them); jsonb refuses both. */
function jsonEscapeProblem(json: string): 'nul' | 'surrogate' | null {
  let at = json.indexOf('\\u');
  while (at >= 0) {
    // The escape is real only when the backslash is not itself escaped (an even run of backslashes before it).
    let run = 0;
    for (let i = at - 1; i >= 0 && json.charCodeAt(i) === 92; i--) run++;
    if (run % 2 === 0) {
      const hex = json.slice(at + 2, at + 6).toLowerCase();
      if (hex === '0000') return 'nul';
      if (hex >= 'd800' && hex <= 'dfff') return 'surrogate';
      at = json.indexOf('\\u', at + 6);
    } else {
      at = json.indexOf('\\u', at + 2);
    }
  }
  return null;
}

/** JSON text of `value`, or why it has none. */
function jsonText(value: unknown): string | Refusal {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return new Refusal(`cannot be written as JSON: ${(error as Error).message}`);
  }
  if (json === undefined) return new Refusal(`${typeof value} cannot be written as JSON`);
  if (json.includes('\\u')) {
    const problem = jsonEscapeProblem(json);
    if (problem === 'nul') return new Refusal('JSON holding a NUL character (\\u0000), which PostgreSQL cannot store');
    if (problem === 'surrogate') return new Refusal('JSON holding an unpaired UTF-16 surrogate (not valid Unicode)');
  }
  return json;
}

function encodeJson(value: unknown): Encoded {
  if (typeof value === 'number' && !Number.isFinite(value)) return new Refusal(`${value} is not a finite number`);
  const json = jsonText(value);
  if (json instanceof Refusal) return json;
  // JSON.stringify escapes control characters itself; only its backslashes need COPY's escape.
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/**
 * `raw` of a rejected row as jsonb text, whatever it holds: rows are often
 * rejected for the very NUL or broken surrogate that jsonb refuses, so such
 * escapes are kept as visible text (`\u0000` becomes the six characters).
 * Values JSON cannot express (bigint, cycles) fall back to their text.
 */
export function rawJsonText(raw: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(raw ?? null, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    json = JSON.stringify(String(raw));
  }
  if (json === undefined) json = JSON.stringify(String(raw));
  if (json.includes('\\u') && jsonEscapeProblem(json) !== null) {
    json = json.replace(/(\\*)\\u(0000|d[89a-f][0-9a-f]{2})/gi, (match: string, run: string, hex: string) =>
      run.length % 2 === 0 ? `${run}\\\\u${hex}` : match,
    );
  }
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

const INT8_MAX_TEXT = '9223372036854775807';
const INT8_MIN_TEXT = '9223372036854775808';

/** A digit string within int8 (src/mapping's form for integers beyond 2^53). */
function int8Text(s: string): boolean {
  const negative = s.charCodeAt(0) === 45;
  const digits = negative ? s.length - 1 : s.length;
  if (digits < 19) return true;
  if (digits > 19) return false;
  const body = negative ? s.slice(1) : s;
  return body <= (negative ? INT8_MIN_TEXT : INT8_MAX_TEXT);
}

const INTEGER_RE = /^-?(0|[1-9]\d{0,18})$/;
// Decimal text numeric reads exactly; the exponent is bounded so numeric cannot overflow.
const DECIMAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/;

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by the ASCII digits of `s` from `start` to `end`, or -1 when one is not a digit. */
function digitsAt(s: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Whether `s` starts with a real calendar date `YYYY-MM-DD`, years 0001-9999.
 * Character codes rather than a regular expression and slices: this runs
 * for every date and timestamp of a load.
 */
function calendarDate(s: string): boolean {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 7);
  const day = digitsAt(s, 8, 10);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]!) return false;
  return !(month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)));
}

/** `YYYY-MM-DD`, a real date: src/mapping's form of a date. */
const isDate = (s: string): boolean => s.length === 10 && calendarDate(s);

/** `YYYY-MM-DDTHH:MM:SS.sssZ`, a real instant: src/mapping's form of a timestamp. */
function isTimestamp(s: string): boolean {
  if (s.length !== 24 || s.charCodeAt(10) !== 84 /* T */ || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false;
  if (s.charCodeAt(19) !== 46 /* . */ || s.charCodeAt(23) !== 90 /* Z */ || !calendarDate(s)) return false;
  const hour = digitsAt(s, 11, 13);
  const minute = digitsAt(s, 14, 16);
  const second = digitsAt(s, 17, 19);
  return hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60 && digitsAt(s, 20, 23) >= 0;
}

/** Converts through src/mapping, then encodes the result with `again` (which then takes its fast path). */
function viaCoerce(value: unknown, type: ColumnType, again: (v: unknown) => Encoded): Encoded {
  const result = coerce(value, type);
  return result.ok ? again(result.value) : new Refusal(result.reason);
}

function encodeString(value: unknown): Encoded {
  if (typeof value === 'string') return encodeText(value);
  return viaCoerce(value, 'string', encodeString);
}

function encodeInteger(value: unknown): Encoded {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && INTEGER_RE.test(value) && int8Text(value)) return value;
  return viaCoerce(value, 'integer', (v) => (typeof v === 'number' || typeof v === 'string' ? String(v) : new Refusal('not an integer')));
}

function encodeNumber(value: unknown): Encoded {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : new Refusal(`${value} is not a finite number`);
  // Decimal text goes to numeric as written: exact, where a double would round it.
  if (typeof value === 'string' && value.length <= 1000 && DECIMAL_RE.test(value)) return value;
  if (typeof value === 'bigint') return value.toString();
  return viaCoerce(value, 'number', encodeNumber);
}

function encodeBoolean(value: unknown): Encoded {
  if (value === true) return 't';
  if (value === false) return 'f';
  return viaCoerce(value, 'boolean', encodeBoolean);
}

function encodeDate(value: unknown): Encoded {
  if (typeof value === 'string' && isDate(value)) return value;
  return viaCoerce(value, 'date', (v) => (typeof v === 'string' && isDate(v) ? v : new Refusal(`${preview(String(v))} is not a valid date`)));
}

function encodeTimestamp(value: unknown): Encoded {
  if (typeof value === 'string' && isTimestamp(value)) return value;
  return viaCoerce(value, 'timestamp', (v) => (typeof v === 'string' && isTimestamp(v) ? v : new Refusal(`${preview(String(v))} is not a valid timestamp`)));
}

/** The encoder of each column type. */
const ENCODERS: Readonly<Record<ColumnType, (value: unknown) => Encoded>> = {
  string: encodeString,
  integer: encodeInteger,
  number: encodeNumber,
  boolean: encodeBoolean,
  date: encodeDate,
  timestamp: encodeTimestamp,
  json: encodeJson,
};

/** One value as a COPY text field for a column of `type`, or the reason it does not fit. */
export function encodeValue(value: unknown, type: ColumnType): { ok: true; text: string } | { ok: false; reason: string } {
  if (value === null || value === undefined) return { ok: true, text: '\\N' };
  const encoded = ENCODERS[type](value);
  return encoded instanceof Refusal ? { ok: false, reason: encoded.reason } : { ok: true, text: encoded };
}

/** Free text Sluice writes itself (a field name, a reason): made storable rather than refused. */
export function safeCopyText(s: string): string {
  const clean = s.includes('\0') ? s.replaceAll('\0', '\\u0000') : s;
  return escapeCopyText(clean.toWellFormed());
}

/**
 * One line for `<table>__rejected (raw, field, reason, run_id, source_id, row_number)`;
 * `prefix` is `safeCopyText(runId) \t safeCopyText(sourceId) \t`, computed once per load.
 */
export function rejectedLine(raw: unknown, field: string | null, reason: string, prefix: string, rowNumber: number | null | undefined): string {
  const fieldText = field === null ? '\\N' : safeCopyText(field);
  const number = rowNumber === null || rowNumber === undefined ? '\\N' : String(rowNumber);
  return `${rawJsonText(raw)}\t${fieldText}\t${safeCopyText(reason)}\t${prefix}${number}\n`;
}

const [STRING, INTEGER, NUMBER, BOOLEAN, DATE, TIMESTAMP, JSON_] = [0, 1, 2, 3, 4, 5, 6];
const TYPE_CODES: Readonly<Record<ColumnType, number>> = {
  string: STRING,
  integer: INTEGER,
  number: NUMBER,
  boolean: BOOLEAN,
  date: DATE,
  timestamp: TIMESTAMP,
  json: JSON_,
};

export interface EncoderColumn {
  name: string;
  /** The type of the column in the table, which may be wider than the load's schema says. */
  type: ColumnType;
}

/**
 * Turns rows into COPY lines: `run id, source id, row number, columns…`,
 * written as bytes into a CopyBytes (see copy-bytes.ts). `encodeInto`
 * returns false, with `field` and `reason` set and nothing of the row left
 * in the output, when the row cannot be loaded.
 */
export class RowEncoder {
  readonly #names: string[];
  readonly #encoders: ((value: unknown) => Encoded)[];
  readonly #codes: number[];
  readonly #known: Set<string>;
  readonly #inherited: boolean[];
  readonly #keyIndexes: number[];
  readonly #prefix: Buffer;
  /** Set when `encodeInto` returns false. */
  field: string | null = null;
  reason = '';

  constructor(columns: readonly EncoderColumn[], options: { runId: string; sourceId: string; primaryKey?: readonly string[] | null }) {
    this.#names = columns.map((c) => c.name);
    this.#encoders = columns.map((c) => ENCODERS[c.type]);
    this.#codes = columns.map((c) => TYPE_CODES[c.type]);
    this.#known = new Set(this.#names);
    this.#inherited = this.#names.map((name) => name in Object.prototype);
    this.#keyIndexes = (options.primaryKey ?? []).map((k) => this.#names.indexOf(k));
    if (this.#keyIndexes.includes(-1)) throw new Error('every primary key column must be a column of the load');
    const text = (s: string): string => {
      const encoded = encodeText(s);
      if (encoded instanceof Refusal) throw new Error(`run or source id: ${encoded.reason}`);
      return encoded;
    };
    this.#prefix = Buffer.from(`${text(options.runId)}\t${text(options.sourceId)}\t`, 'utf8');
  }

  /** `runId \t sourceId \t` as bytes: how every line starts. */
  get linePrefix(): Buffer {
    return this.#prefix;
  }

  /** The COPY column list matching the lines: `"_sluice_run_id", …, "col", …`. */
  static copyColumns(columns: readonly EncoderColumn[], quote: (name: string) => string): string {
    return ['_sluice_run_id', '_sluice_source_id', '_sluice_row_number', ...columns.map((c) => c.name)].map(quote).join(', ');
  }

  /** One row as a line of text (tests and diagnostics; loads use `encodeInto`). */
  encode(row: Readonly<Record<string, unknown>>, rowNumber: number): string | null {
    const out = new CopyBytes(1024);
    return this.encodeInto(out, row, rowNumber) ? Buffer.concat(out.take()).toString('utf8') : null;
  }

  encodeInto(out: CopyBytes, row: Readonly<Record<string, unknown>>, rowNumber: number): boolean {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return this.#refuse(null, 'the row is not a record of named fields');
    const names = this.#names;
    const codes = this.#codes;
    const inherited = this.#inherited;
    out.beginRow();
    out.bytes(this.#prefix);
    out.digits(rowNumber);
    let present = 0;
    for (let i = 0; i < names.length; i++) {
      // `constructor` and `__proto__` are valid column names that every object seems to have.
      const value = inherited[i] && !Object.hasOwn(row, names[i]!) ? undefined : row[names[i]!];
      if (value === undefined || value === null) {
        if (value === null) present++;
        out.separator(true);
        continue;
      }
      out.separator(false);
      present++;
      // The usual representation of each type is written inline, so these
      // checks stay monomorphic; anything else goes to the type's encoder.
      switch (codes[i]) {
        case INTEGER:
          if (typeof value === 'number' && Number.isSafeInteger(value)) {
            out.integer(value);
            continue;
          }
          break;
        case NUMBER:
          if (typeof value === 'number' && Number.isFinite(value)) {
            out.ascii(String(value));
            continue;
          }
          break;
        case STRING:
          if (typeof value === 'string') {
            const mark = out.mark;
            if (out.text(value)) continue;
            out.rewind(mark); // a NUL or a broken surrogate: the encoder says which
          }
          break;
        case BOOLEAN:
          if (typeof value === 'boolean') {
            out.byte(value ? 116 : 102); // t, f
            continue;
          }
          break;
        case DATE:
          if (typeof value === 'string' && isDate(value)) {
            out.ascii(value);
            continue;
          }
          break;
        case TIMESTAMP:
          if (typeof value === 'string' && isTimestamp(value)) {
            out.ascii(value);
            continue;
          }
          break;
        case JSON_: {
          const json = typeof value === 'number' && !Number.isFinite(value) ? new Refusal(`${value} is not a finite number`) : jsonText(value);
          // JSON text holds no raw control character; its backslashes get COPY's escape.
          if (typeof json === 'string' && out.text(json)) continue;
          out.abortRow();
          return this.#refuse(names[i]!, typeof json === 'string' ? 'JSON that cannot be stored' : json.reason);
        }
      }
      const encoded = this.#encoders[i]!(value);
      if (typeof encoded !== 'string') {
        out.abortRow();
        return this.#refuse(names[i]!, encoded.reason);
      }
      out.raw(encoded);
    }
    for (const k of this.#keyIndexes) {
      const value = inherited[k] && !Object.hasOwn(row, names[k]!) ? undefined : row[names[k]!];
      if (value === null || value === undefined) {
        out.abortRow();
        return this.#refuse(names[k]!, 'the primary key column is empty');
      }
    }
    // A field the schema does not know would be dropped without a trace: refuse the row instead.
    // Counting keys is enough in the usual case; only a mismatch (a stray key, or one holding undefined) looks closer.
    if (Object.keys(row).length !== present) {
      const stray = Object.keys(row).find((key) => row[key] !== undefined && !this.#known.has(key));
      if (stray !== undefined) {
        out.abortRow();
        return this.#refuse(stray, `field ${JSON.stringify(stray)} is not a column of the load's schema`);
      }
    }
    out.byte(10);
    out.endRow();
    return true;
  }

  #refuse(field: string | null, reason: string): false {
    this.field = field;
    this.reason = reason;
    return false;
  }
}
