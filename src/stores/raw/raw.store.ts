/**
 * The raw store keeps records exactly as a source gave them, per
 * organisation and table, before they are typed and loaded. A load can be
 * replayed from here without calling the API or reading the file again.
 *
 * Glossary:
 * - source: where a batch came from: a file (`file`, file id) or a run of a
 *   connection (`run`, run id).
 * - row number: the position of the record within its source (1-based), so
 *   writing the same batch twice stores it once.
 * - watermark: a number that grows with every row written to a table; a
 *   reader resumes "since watermark N". Watermarks are positive integers,
 *   unique within a table and never reused (not even after retention empties
 *   the table); they may have gaps.
 */
export interface RawSource {
  kind: 'file' | 'run';
  id: string;
}

export interface RawRecordInput {
  /** Positive integer, unique within the batch. */
  rowNumber: number;
  /** Any JSON value; stored as `JSON.stringify` writes it (so `undefined` inside objects is dropped). */
  data: unknown;
}

export interface RawRecord {
  orgId: string;
  table: string;
  source: RawSource;
  rowNumber: number;
  data: unknown;
  ingestedAt: Date;
  watermark: number;
}

export interface RawReadOptions {
  /** Only rows of this source. */
  source?: RawSource | undefined;
  /** Only rows written after this watermark (exclusive). */
  sinceWatermark?: number | undefined;
  /** Rows per yielded batch (default 1000, at most 100,000). */
  batchSize?: number | undefined;
}

export interface RawStore {
  readonly kind: 'postgres' | 'mongodb';
  /**
   * Stores a batch. Idempotent on (org, table, source, rowNumber): a batch
   * written again (a retried task) does not duplicate rows, and the first
   * write of a row wins. The batch is stored atomically, its rows given
   * watermarks in the order of `records`. Returns how many rows were newly stored.
   */
  writeBatch(orgId: string, table: string, source: RawSource, records: readonly RawRecordInput[]): Promise<number>;
  /**
   * Rows in watermark order, in batches, streaming (memory bounded by the
   * batch size; nothing is held open between batches). Reads up to the
   * table's high watermark as it was when reading began: rows written
   * meanwhile are left for the next read. Never yields an empty batch.
   */
  read(orgId: string, table: string, options?: RawReadOptions): AsyncIterable<RawRecord[]>;
  count(orgId: string, table: string, options?: Pick<RawReadOptions, 'source' | 'sinceWatermark'>): Promise<number>;
  /** The highest watermark of the table's stored rows, or 0 when empty. */
  highWatermark(orgId: string, table: string): Promise<number>;
  /** Deletes rows ingested before `before` (retention); returns how many. */
  deleteOlderThan(orgId: string, before: Date, table?: string): Promise<number>;
  /** Deletes every row of one source; returns how many. */
  deleteSource(orgId: string, table: string, source: RawSource): Promise<number>;
  /** Releases what the store itself opened (a database handle passed in stays open). */
  close(): Promise<void>;
}
