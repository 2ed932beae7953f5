import { validationFailed, type FieldIssue } from '../errors/index.js';
import { ColumnNamer } from './column-name.js';
import { coercerFor, Refusal } from './coerce.js';
import { kindOf } from './describe.js';
import { inferType, SchemaInferrer } from './infer.js';
import { compilePath } from './jsonpath.js';
import { FieldMapping, type ColumnType, type FieldMappingInput, type RejectedRecord, type SchemaColumn } from './mapping.schema.js';

/**
 * Records → rows. With field mappings, each mapping picks a value by
 * JSONPath and converts it to its column type. Without any, every top-level
 * field becomes a column (auto mode, see AutoMapper).
 */

export type MapResult = { ok: true; row: Record<string, unknown> } | { ok: false; rejected: RejectedRecord };

export interface Mapper {
  /** `mapped` with field mappings; `auto` when every top-level field becomes a column. */
  readonly mode: 'mapped' | 'auto';
  /** One record to one row, or the reason it was rejected. */
  map(record: unknown): MapResult;
  /** The columns of the rows: from the mappings, or (auto mode) inferred from the records mapped so far. */
  columns(): SchemaColumn[];
  /** What the run's log should say about the columns (auto mode: fields whose column took another name). */
  notes(): string[];
}

/**
 * Sluice's own columns plus PostgreSQL's limit of 1600 leave room for this
 * many; a source with ids as keys (`{"u123": {...}, "u124": {...}}`) would
 * otherwise grow a table column by column until loads fail.
 */
export const MAX_AUTO_COLUMNS = 1500;

const isRecordObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const reject = (record: unknown, field: string | null, reason: string): MapResult => ({
  ok: false,
  rejected: { record, field, reason },
});

const notAnObject = (record: unknown): MapResult => reject(record, null, `record is not an object but ${kindOf(record)}`);

interface CompiledField {
  target: string;
  source: string;
  get: (record: unknown) => unknown;
  convert: (value: unknown) => unknown;
  required: boolean;
  hasDefault: boolean;
  /** Already converted to the column type. */
  defaultValue: unknown;
}

/** The mappings checked all at once, so one error lists every problem. */
function compileMappings(mappings: readonly FieldMappingInput[]): { fields: CompiledField[]; columns: SchemaColumn[] } {
  const issues: FieldIssue[] = [];
  const fields: CompiledField[] = [];
  const columns: SchemaColumn[] = [];
  const firstIndexOf = new Map<string, number>();

  mappings.forEach((input, i) => {
    const at = `fieldMappings[${i}]`;
    const parsed = FieldMapping.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        issues.push({ field: at + issue.path.map((p) => `.${String(p)}`).join(''), message: issue.message });
      }
      return;
    }
    const m = parsed.data;
    const before = issues.length;

    const first = firstIndexOf.get(m.target);
    if (first !== undefined) {
      issues.push({ field: `${at}.target`, message: `"${m.target}" is already the target of fieldMappings[${first}]` });
    } else {
      firstIndexOf.set(m.target, i);
    }
    // Rows are plain objects: assigning row.__proto__ would replace the prototype, not add a column.
    if (m.target === '__proto__') issues.push({ field: `${at}.target`, message: '"__proto__" cannot be a column name' });

    let get: (record: unknown) => unknown = () => undefined;
    try {
      get = compilePath(m.source);
    } catch (error) {
      issues.push({ field: `${at}.source`, message: (error as Error).message });
    }

    const convert = coercerFor(m.type);
    // A null default is the same as none: the column is null when the source is.
    const hasDefault = m.default !== undefined && m.default !== null;
    let defaultValue: unknown = null;
    if (hasDefault) {
      defaultValue = convert(m.default);
      if (defaultValue instanceof Refusal) {
        issues.push({ field: `${at}.default`, message: `${defaultValue.reason} (the default must be a valid ${m.type})` });
      }
    }

    if (issues.length === before) {
      fields.push({ target: m.target, source: m.source, get, convert, required: m.required, hasDefault, defaultValue });
      columns.push({ name: m.target, type: m.type, nullable: !m.required && !hasDefault });
    }
  });

  if (issues.length > 0) throw validationFailed(issues, 'invalid_config');
  return { fields, columns };
}

/** Copies object defaults per row, so a row changed downstream cannot change the next row's default. */
const fresh = (value: unknown): unknown => (typeof value === 'object' && value !== null ? structuredClone(value) : value);

class FieldMapper implements Mapper {
  readonly mode = 'mapped';
  readonly #fields: CompiledField[];
  readonly #columns: SchemaColumn[];

  constructor(mappings: readonly FieldMappingInput[]) {
    const { fields, columns } = compileMappings(mappings);
    this.#fields = fields;
    this.#columns = columns;
  }

  map(record: unknown): MapResult {
    if (!isRecordObject(record)) return notAnObject(record);
    const row: Record<string, unknown> = {};
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i += 1) {
      const field = fields[i]!;
      const raw = field.get(record);
      if (raw === undefined || raw === null) {
        if (field.hasDefault) {
          row[field.target] = fresh(field.defaultValue);
        } else if (field.required) {
          const why = raw === null ? `${field.source} is null` : `nothing at ${field.source}`;
          return reject(record, field.target, `required field is missing: ${why}`);
        } else {
          row[field.target] = null;
        }
        continue;
      }
      const value = field.convert(raw);
      if (value instanceof Refusal) return reject(record, field.target, value.reason);
      row[field.target] = value;
    }
    return { ok: true, row };
  }

  columns(): SchemaColumn[] {
    return this.#columns.map((c) => ({ ...c }));
  }

  notes(): string[] {
    return [];
  }
}

/**
 * Auto mode: every top-level field is a column named by toColumnName, with
 * names kept stable across records (the first key to claim a name keeps it;
 * a later colliding key gets `_2`). Objects and arrays are json.
 *
 * Types are inferred as records stream, and a later record can widen a
 * column (integer → number → string…). A row therefore carries each value
 * converted to the type of that value alone — `coerce(value,
 * inferType(value))` — and holds only the fields its record had. The final
 * column types are `columns()` once every record is mapped; the loader casts
 * the values to them. Values of rejected records do not count towards the
 * schema.
 */
class AutoMapper implements Mapper {
  readonly mode = 'auto';
  readonly #namer = new ColumnNamer();
  readonly #inferrer = new SchemaInferrer();

  map(record: unknown): MapResult {
    if (!isRecordObject(record)) return notAnObject(record);
    const row: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      if (!this.#namer.has(key) && this.#namer.size >= MAX_AUTO_COLUMNS) {
        return reject(record, null, `record has more fields than the ${MAX_AUTO_COLUMNS} columns a table may get; map the fields wanted`);
      }
      const column = this.#namer.nameFor(key);
      const raw = record[key];
      const type: ColumnType | null = inferType(raw);
      if (type === null) {
        row[column] = null;
        continue;
      }
      const value = coercerFor(type)(raw);
      if (value instanceof Refusal) return reject(record, column, value.reason);
      row[column] = value;
    }
    this.#inferrer.observe(row);
    return { ok: true, row };
  }

  columns(): SchemaColumn[] {
    return this.#inferrer.columns();
  }

  notes(): string[] {
    return this.#namer.notes();
  }
}

/**
 * A mapper for a connection's field mappings (CONTRACT.md, Connections);
 * an empty list means auto mode. The mappings are checked up front: one
 * UserError('invalid_config') lists every bad one, named like
 * `fieldMappings[3].target`.
 */
export function createMapper(mappings: readonly FieldMappingInput[]): Mapper {
  return mappings.length === 0 ? new AutoMapper() : new FieldMapper(mappings);
}
