import { UserError } from '../errors/index.js';
import { createMapper, keyPathsOf, type FieldMappingInput, type Mapper, type SchemaColumn } from '../mapping/index.js';
import { RecordProfiles } from '../mapping/index.js';
import { unwrapRejection } from './raw-rejection.js';
import type { RawSource, RawStore } from '../stores/raw/index.js';
import type { Warehouse, WriteMode } from '../stores/warehouse/index.js';
import { toLoadBatches, type SourceBatch } from './map.js';

export interface LoadFromRawOptions {
  orgId: string;
  /** The raw table read and the warehouse table written. */
  table: string;
  /** Only this source's rows (a run or a file)... */
  source?: RawSource | undefined;
  /** ...or every row written after this watermark. */
  sinceWatermark?: number | undefined;
  mappings: readonly FieldMappingInput[];
  writeMode: WriteMode;
  primaryKey?: string[] | undefined;
  runId: string;
  /** Loading the same source id again replaces its rows instead of adding them. */
  sourceId: string;
  signal?: AbortSignal | undefined;
  batchSize?: number | undefined;
  /**
   * Values are text (CSV, TSV): without mappings, types are inferred from the
   * text (`42` an integer, `2026-01-02` a date), and empty cells are missing.
   */
  textValues?: boolean | undefined;
}

export interface LoadFromRawResult {
  /** Raw rows read. */
  received: number;
  loaded: number;
  rejected: number;
  columns: SchemaColumn[];
  /** What the run's log should say about the columns (fields whose column took another name than their own). */
  notes: string[];
  /** The raw table's high watermark when reading began: the next incremental load starts after it. */
  highWatermark: number;
}

/**
 * Raw rows → typed warehouse rows, in one load (one transaction). With
 * field mappings the columns are known up front; without (auto mode) a
 * first pass over the raw rows infers them, so the table is created once
 * with types that fit every value.
 */
export async function loadFromRaw(raw: RawStore, warehouse: Warehouse, options: LoadFromRawOptions): Promise<LoadFromRawResult> {
  const { orgId, table, signal } = options;
  const highWatermark = await raw.highWatermark(orgId, table);
  const readOptions = { source: options.source, sinceWatermark: options.sinceWatermark, batchSize: options.batchSize ?? 5000 };
  let received = 0;
  async function* fromRaw(): AsyncGenerator<SourceBatch> {
    for await (const rows of raw.read(orgId, table, readOptions)) {
      signal?.throwIfAborted();
      received += rows.length;
      yield { records: rows.filter((r) => r.watermark <= highWatermark).map((r) => ({ rowNumber: r.rowNumber, data: r.data })) };
    }
  }

  let mapper: Mapper;
  let firstRefusal: string | undefined;
  let notes: string[] = [];
  if (options.textValues && options.mappings.length === 0) {
    // Infer the columns from every text value first (so a late "12.5" widens an integer column), then map with them.
    const inferred = await inferTextMappings(fromRaw());
    notes = inferred.notes;
    mapper = createMapper(inferred.mappings.length > 0 ? inferred.mappings : []);
  } else {
    mapper = createMapper(options.mappings);
    if (mapper.mode === 'auto') {
      for await (const batch of fromRaw()) {
        for (const record of batch.records) {
          if (unwrapRejection(record.data)) continue;
          const result = mapper.map(record.data);
          if (!result.ok) firstRefusal ??= result.rejected.reason;
        }
      }
    }
  }
  if (received === 0 && (mapper.mode === 'auto' || options.textValues)) return { received: 0, loaded: 0, rejected: 0, columns: [], notes: [], highWatermark };
  notes = [...notes, ...mapper.notes()];
  received = 0;
  const columns = mapper.columns();
  if (columns.length === 0) {
    // No field in any record: there is no table to create. The raw rows stay for a later load.
    throw new UserError('invalid_config', `none of the records of ${table} could be turned into a row (${firstRefusal ?? 'no fields'}); they stay in the raw store`);
  }
  const result = await warehouse.load(orgId, table, toLoadBatches(mapper, fromRaw(), signal, { textValues: options.textValues }), {
    writeMode: options.writeMode,
    primaryKey: options.primaryKey,
    keyPaths: keyPathsOf(options.mappings, options.primaryKey),
    columns,
    runId: options.runId,
    sourceId: options.sourceId,
  });
  return { received, loaded: result.loaded, rejected: result.rejected, columns, notes, highWatermark };
}

/**
 * Columns of file records: each key named as a column, its type the one
 * nearly all its values agree on (see src/mapping/tolerant-schema.ts); the few values
 * that disagree are rejected with their reason when the rows are mapped.
 */
async function inferTextMappings(batches: AsyncIterable<SourceBatch>): Promise<{ mappings: FieldMappingInput[]; notes: string[] }> {
  const profiles = new RecordProfiles();
  for await (const batch of batches) {
    for (const record of batch.records) {
      const data = record.data;
      if (unwrapRejection(data) || typeof data !== 'object' || data === null || Array.isArray(data)) continue;
      profiles.observe(data as Record<string, unknown>, true);
    }
  }
  return profiles.named();
}

