import { looksTemporal, parseTemporal } from './datetime.js';
import type { ColumnType, SchemaColumn } from './mapping.schema.js';

/**
 * Guessing column types from values, and widening a column's type as more
 * records arrive. The widening lattice:
 *
 *   integer → number → string
 *   date → timestamp → string
 *   boolean + anything else → string
 *   json (an object or array) + anything → json
 *
 * json wins over scalars because a jsonb column can hold every value
 * losslessly, while text would turn objects into strings nobody can query.
 */

export interface InferOptions {
  /**
   * Every value is text (a CSV cell): read `42` as integer, `4.2` as number,
   * `true`/`false` as boolean, and an empty cell as missing. Without it a JSON
   * string stays a string: the source chose to send `"42"` as text.
   */
  fromText?: boolean;
}

const INT8_MAX = 2n ** 63n - 1n;

// Text that is an integer without leading zeros: "007" is an identifier or a postcode, not 7.
const TEXT_INTEGER_RE = /^[+-]?(0|[1-9]\d*)$/;
// Text that is a decimal without leading zeros: "4.2", "-0.5", "1e6", ".5".
const TEXT_NUMBER_RE = /^[+-]?(0|[1-9]\d*)?(\.\d+)?([eE][+-]?\d+)?$/;

function inferText(text: string): ColumnType | null {
  const t = text.trim();
  if (t === '') return null;
  if (TEXT_INTEGER_RE.test(t)) {
    // Beyond int8 the digits would not fit, and as a float they would be
    // rounded: such values are identifiers, so they stay text.
    const n = BigInt(t);
    return n >= -INT8_MAX - 1n && n <= INT8_MAX ? 'integer' : 'string';
  }
  if (/\d/.test(t) && TEXT_NUMBER_RE.test(t) && Number.isFinite(Number(t))) return 'number';
  const lower = t.toLowerCase();
  if (lower === 'true' || lower === 'false') return 'boolean';
  return inferString(t);
}

function inferString(text: string): ColumnType {
  if (!looksTemporal(text)) return 'string';
  const parsed = parseTemporal(text.trim());
  return typeof parsed === 'string' ? 'string' : parsed.kind;
}

/** The narrowest type that holds `value`, or null when it says nothing (null, undefined). */
export function inferType(value: unknown, options: InferOptions = {}): ColumnType | null {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'boolean':
      return 'boolean';
    case 'number':
      // Unsafe integers already lost digits when the JSON was parsed; calling them integers would hide that.
      return Number.isSafeInteger(value) ? 'integer' : 'number';
    case 'bigint':
      return value >= -INT8_MAX - 1n && value <= INT8_MAX ? 'integer' : 'string';
    case 'string':
      return options.fromText ? inferText(value) : inferString(value);
    case 'object':
      if (value === null) return null;
      return value instanceof Date ? 'timestamp' : 'json';
    default:
      return 'json';
  }
}

/** The narrowest type holding values of both `a` and `b` (see the lattice above). */
export function widenType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  if (a === 'json' || b === 'json') return 'json';
  if ((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer')) return 'number';
  if ((a === 'date' && b === 'timestamp') || (a === 'timestamp' && b === 'date')) return 'timestamp';
  return 'string';
}

interface ColumnState {
  name: string;
  /** null until a value other than null has been seen. */
  type: ColumnType | null;
  /** Records holding the key, null or not. */
  present: number;
  sawNull: boolean;
}

/**
 * Infers a schema from records observed one at a time, so a stream of any
 * length needs memory for its columns only. Columns come in first-seen order;
 * a column is nullable when some observed record, before or after its first
 * appearance, lacked it or held null. A column that only ever held null is
 * typed string (and nullable).
 */
export class SchemaInferrer {
  readonly #options: InferOptions;
  readonly #columns = new Map<string, ColumnState>();
  #records = 0;

  constructor(options: InferOptions = {}) {
    this.#options = options;
  }

  /** Adds one record's top-level fields to the schema. */
  observe(record: Readonly<Record<string, unknown>>): void {
    this.#records += 1;
    for (const key of Object.keys(record)) this.#note(key, inferType(record[key], this.#options));
  }

  /** How many records have been observed. */
  get recordCount(): number {
    return this.#records;
  }

  /** The schema so far. */
  columns(): SchemaColumn[] {
    return [...this.#columns.values()].map((c) => ({
      name: c.name,
      type: c.type ?? 'string',
      nullable: c.sawNull || c.present < this.#records,
    }));
  }

  #note(name: string, type: ColumnType | null): void {
    let column = this.#columns.get(name);
    if (column === undefined) {
      column = { name, type: null, present: 0, sawNull: false };
      this.#columns.set(name, column);
    }
    column.present += 1;
    if (type === null) column.sawNull = true;
    else column.type = column.type === null ? type : widenType(column.type, type);
  }
}
