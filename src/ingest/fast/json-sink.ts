import type { CsvRowSink, CsvRowSpans, FileColumn } from '../../connectors/file/index.js';
import { CopyBytes } from '../../stores/warehouse/index.js';

/** Records' JSON text, and their row numbers. */
export interface JsonRecords {
  rowNumbers: number[];
  /** The JSON array of the records, as `JSON.stringify` writes the reader's records, in UTF-8. */
  json: Buffer;
}

// Keys JSON.stringify would not write in insertion order (array indices), or that are no key at all (__proto__).
const AWKWARD_KEY = /^(0|[1-9]\d*)$|^__proto__$/;

/**
 * A CsvRowSink writing the CSV reader's well-formed rows as the JSON text
 * of the records the reader would have made (`{"column": "text" | null,
 * ...}`, byte for byte what `JSON.stringify` writes), for the raw store's
 * `writeJsonBatch`: no record object is made for them.
 */
export class CsvJsonSink implements CsvRowSink {
  readonly #out: CopyBytes;
  readonly #enabled: boolean;
  readonly #segmentRows: number;
  readonly #segmentBytes: number;
  #keys: Buffer[] = [];
  #quote = 34;
  #rowNumbers: number[] = [];
  /** Full segments, waiting to be taken. */
  #sealed: JsonRecords[] = [];

  /**
   * Records are grouped in segments of `segmentRows` (or fewer, once their
   * text passes `segmentBytes`). `enabled: false` declines every row (a raw
   * store without `writeJsonBatch`).
   */
  constructor(options: { enabled?: boolean; segmentRows?: number; segmentBytes?: number } = {}) {
    this.#enabled = options.enabled ?? true;
    this.#segmentRows = options.segmentRows ?? 5000;
    this.#segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    // Room for a whole segment: the working buffer is reused, and each segment costs one buffer of its size.
    this.#out = new CopyBytes(Math.min(this.#segmentBytes, 2 * 1024 * 1024));
  }

  begin(columns: readonly FileColumn[], quote: string): boolean {
    if (!this.#enabled || columns.some((c) => AWKWARD_KEY.test(c.name))) return false;
    this.#keys = columns.map((c, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`, 'utf8'));
    this.#quote = quote.charCodeAt(0);
    return true;
  }

  row(spans: CsvRowSpans, rowNumber: number): boolean {
    const out = this.#out;
    const keys = this.#keys;
    const { bytes, starts, ends, kinds } = spans;
    out.beginRow();
    out.byte(this.#rowNumbers.length > 0 ? 44 : 91); // `,` between records, `[` before the first
    for (let i = 0; i < keys.length; i++) {
      out.bytes(keys[i]!);
      const from = starts[i]!;
      const to = ends[i]!;
      const kind = kinds[i]!;
      if (from === to && kind === 0) out.ascii('null');
      else out.jsonStringBytes(bytes, from, to, kind === 2 ? this.#quote : -1);
    }
    out.byte(125);
    out.endRow();
    this.#rowNumbers.push(rowNumber);
    if (this.#rowNumbers.length >= this.#segmentRows || out.size >= this.#segmentBytes) this.#seal();
    return true;
  }

  /** The full segments written since the last call; with `all`, the last, partial one too. */
  take(all = false): JsonRecords[] {
    if (all) this.#seal();
    const sealed = this.#sealed;
    this.#sealed = [];
    return sealed;
  }

  #seal(): void {
    if (this.#rowNumbers.length === 0) return;
    const out = this.#out;
    out.beginRow();
    out.byte(93); // `]`
    out.endRow();
    // Bytes, not a string: a segment's text is megabytes, which as a string would wait for a full GC.
    this.#sealed.push({ rowNumbers: this.#rowNumbers, json: out.takeCopy() });
    this.#rowNumbers = [];
  }
}
