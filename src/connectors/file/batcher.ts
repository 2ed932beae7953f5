import type { CsvRowSink } from './csv.reader.js';
import type { FileBatch, FileReadSummary, ResolvedReadFileOptions } from './file.schema.js';

/**
 * Collects records and rejected rows into batches of `batchSize` and keeps
 * the counts of the summary, so that `rowsRead = records + rejected` holds
 * by construction: a row gets its number here and nowhere else.
 */
export class Batcher {
  readonly #size: number;
  readonly #summary: FileReadSummary;
  #current: FileBatch = { records: [], rejected: [] };
  #ready: FileBatch[] = [];

  constructor(size: number, summary: FileReadSummary) {
    this.#size = size;
    this.#summary = summary;
  }

  /** The number the next row gets (1-based). */
  get nextRowNumber(): number {
    return this.#summary.rowsRead + 1;
  }

  record(data: Record<string, unknown>): void {
    const rowNumber = this.#count();
    this.#summary.records += 1;
    this.#current.records.push({ rowNumber, data });
    this.#check();
  }

  /** A record handed to a CsvRowSink instead of a batch: numbered and counted, not kept. */
  counted(): void {
    this.#count();
    this.#summary.records += 1;
  }

  reject(raw: unknown, field: string | null, reason: string): void {
    const rowNumber = this.#count();
    this.#summary.rejected += 1;
    this.#current.rejected.push({ rowNumber, raw, field, reason });
    this.#check();
  }

  /** The batches filled so far, handed over once. */
  take(): FileBatch[] {
    const ready = this.#ready;
    this.#ready = [];
    return ready;
  }

  /** Every batch left, the last one partly filled. */
  finish(): FileBatch[] {
    const current = this.#current;
    if (current.records.length + current.rejected.length > 0) this.#ready.push(current);
    this.#current = { records: [], rejected: [] };
    return this.take();
  }

  #count(): number {
    this.#summary.rowsRead += 1;
    return this.#summary.rowsRead;
  }

  #check(): void {
    const current = this.#current;
    if (current.records.length + current.rejected.length >= this.#size) {
      this.#ready.push(current);
      this.#current = { records: [], rejected: [] };
    }
  }
}

/** What a reader works with: the options, the summary it fills in, the batcher it feeds. */
export interface ReadContext {
  options: ResolvedReadFileOptions;
  summary: FileReadSummary;
  batcher: Batcher;
  /** CSV/TSV: takes well-formed rows before they become records (see CsvRowSink). */
  sink?: CsvRowSink | undefined;
}

/** `1.5 MiB`, `16 MiB`, `900 bytes`: sizes in messages. */
export const formatBytes = (bytes: number): string => {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
};

/** The start of a long raw row, for a rejection that cannot keep all of it. */
export const RAW_PREVIEW_CHARS = 1024;
export const rawPreview = (text: string): string => (text.length > RAW_PREVIEW_CHARS ? `${text.slice(0, RAW_PREVIEW_CHARS)}…` : text);

/** `a number`, `an array`: what a JSON value is, for reasons. */
export function describeJsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return 'an object';
  }
}

/** Whether a parsed JSON value is an object (a record). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
