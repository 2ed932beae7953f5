import type { CsvRowSink, CsvRowSpans, FileColumn } from '../../connectors/file/index.js';
import type { FieldMappingInput } from '../../mapping/index.js';
import { CopyBytes, type CopyTarget } from '../../stores/warehouse/index.js';
import { planFields, writeFieldBytes, writeValue, type FieldPlan } from './fields.js';

/** Bytes of COPY lines per chunk handed to the loader (as the loader's own encoder does). */
const CHUNK_BYTES = 128 * 1024;

/** COPY lines written so far, and how many. */
export interface CopyLines {
  chunks: Buffer[];
  rows: number;
}

/** The line's start: run id, source id, row number. */
function beginLine(out: CopyBytes, prefix: Buffer, rowNumber: number): void {
  out.beginRow();
  out.bytes(prefix);
  out.digits(rowNumber);
}

/** Ends a line written whole. */
function endLine(out: CopyBytes): void {
  out.byte(10);
  out.endRow();
}

abstract class LineWriter {
  protected readonly out = new CopyBytes(CHUNK_BYTES);
  protected rows = 0;

  /** The lines written since the last call (undefined when none), for an `EncodedBatch.copy`. */
  take(): CopyLines | undefined {
    if (this.rows === 0) return undefined;
    const lines = { chunks: this.out.take(), rows: this.rows };
    this.rows = 0;
    return lines;
  }
}

/**
 * A CsvRowSink writing the CSV reader's well-formed rows straight as COPY
 * lines for `target` (see fields.ts). Declines every row when `target` is
 * null (a warehouse without the fast path) or the mappings are not a plain
 * field-to-column mapping; declines a row whose values the ordinary path
 * would not simply convert.
 */
export class CsvCopySink extends LineWriter implements CsvRowSink {
  readonly #mappings: readonly FieldMappingInput[];
  readonly #target: CopyTarget | null;
  #plan: FieldPlan[] = [];
  #quote = 34;

  constructor(mappings: readonly FieldMappingInput[], target: CopyTarget | null) {
    super();
    this.#mappings = mappings;
    this.#target = target;
  }

  begin(columns: readonly FileColumn[], quote: string): boolean {
    if (this.#target === null) return false;
    const plan = planFields(
      this.#mappings,
      columns.map((c) => c.name),
      this.#target,
    );
    if (plan === null) return false;
    this.#plan = plan;
    this.#quote = quote.charCodeAt(0);
    return true;
  }

  row(spans: CsvRowSpans, rowNumber: number): boolean {
    const out = this.out;
    const plan = this.#plan;
    const { bytes, starts, ends, kinds } = spans;
    beginLine(out, this.#target!.linePrefix, rowNumber);
    for (let i = 0; i < plan.length; i++) {
      const field = plan[i]!;
      const source = field.source;
      if (source < 0) {
        out.separator(true);
        continue;
      }
      const from = starts[source]!;
      const to = ends[source]!;
      const kind = kinds[source]!;
      if (from === to && kind === 0) {
        if (field.nullDeclines) {
          out.abortRow();
          return false;
        }
        out.separator(true);
        continue;
      }
      out.separator(false);
      if (!writeFieldBytes(out, field, bytes, from, to, kind === 2 ? this.#quote : -1)) {
        out.abortRow();
        return false;
      }
    }
    endLine(out);
    this.rows++;
    return true;
  }
}

const isRecordObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Records (objects, as the raw store or an API gives them) straight to COPY
 * lines for `target`, for plain field-to-column mappings (see fields.ts).
 * `encode` returns false for a record the ordinary path must take (and for
 * every record when `enabled` is false).
 */
export class RecordCopyEncoder extends LineWriter {
  readonly #target: CopyTarget | null;
  readonly #plan: FieldPlan[] | null;
  /** Where a string value is encoded to UTF-8 before it is written. */
  #scratch = Buffer.allocUnsafe(1024);

  constructor(mappings: readonly FieldMappingInput[], target: CopyTarget | null) {
    super();
    this.#target = target;
    this.#plan = target === null ? null : planFields(mappings, null, target);
  }

  get enabled(): boolean {
    return this.#plan !== null;
  }

  encode(record: unknown, rowNumber: number): boolean {
    const plan = this.#plan;
    if (plan === null || !isRecordObject(record)) return false;
    const out = this.out;
    beginLine(out, this.#target!.linePrefix, rowNumber);
    for (let i = 0; i < plan.length; i++) {
      const field = plan[i]!;
      const key = field.key;
      // Own properties only, as src/mapping's paths read them.
      const value = key === null || !Object.hasOwn(record, key) ? undefined : record[key];
      if (value === undefined || value === null) {
        if (field.nullDeclines) {
          out.abortRow();
          return false;
        }
        out.separator(true);
        continue;
      }
      out.separator(false);
      const ok = typeof value === 'string' ? this.#string(field, value) : writeValue(out, field, value);
      if (!ok) {
        out.abortRow();
        return false;
      }
    }
    endLine(out);
    this.rows++;
    return true;
  }

  /** A string value: its UTF-8 bytes written the fast way (text that is not well formed has none: the general way). */
  #string(field: FieldPlan, value: string): boolean {
    if (!value.isWellFormed()) return writeValue(this.out, field, value);
    if (this.#scratch.length < value.length * 3) this.#scratch = Buffer.allocUnsafe(Math.max(1024, value.length * 3));
    const length = this.#scratch.write(value, 0, 'utf8');
    return writeFieldBytes(this.out, field, this.#scratch, 0, length, -1);
  }
}
