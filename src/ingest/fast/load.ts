import { readFileWithSink, type FileReadSummary, type FileRejection, type FileSource, type ReadFileOptions } from '../../connectors/file/index.js';
import { UserError } from '../../errors/index.js';
import { unwrapRejection } from '../raw-rejection.js';
import { createMapper, keyPathsOf, type FieldMappingInput, type Mapper } from '../../mapping/index.js';
import { loadEncoded, type CopyTarget, type EncodedBatch, type LoadOptions, type LoadRejectedRow, type LoadResult, type Warehouse } from '../../stores/warehouse/index.js';
import { PostgresRawStore, WRITE_CHUNK, type RawSource, type RawStore } from '../../stores/raw/index.js';
import { CsvCopySink, RecordCopyEncoder } from './copy-sink.js';
import { CsvJsonSink } from './json-sink.js';
import { SegmentCopyEncoder } from './segment-copy.js';

/** Records as a reader or the raw store gives them, with what the reader already rejected (as src/ingest's SourceBatch). */
export interface RecordBatch {
  records: readonly { rowNumber: number; data: unknown }[];
  rejected?: readonly { rowNumber: number; raw: unknown; field: string | null; reason: string }[];
}

/** The load's options, less the columns, which come from the mappings. */
export type FastLoadOptions = Omit<LoadOptions, 'columns'>;

/**
 * The same items, the next one asked for as soon as one is handed out: a
 * source that waits on a database (the raw store) fetches while the
 * consumer encodes and sends. One item ahead at most.
 */
export async function* prefetched<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  let done = false;
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        done = true;
        return;
      }
      next = iterator.next();
      // Awaited on the next turn; a failure meanwhile is not unhandled.
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    if (!done) {
      await next.catch(() => undefined);
      await iterator.return?.();
    }
  }
}

/** Adds the records the fast path declined, mapped the ordinary way, to a batch. */
function mapInto(mapper: Mapper, record: { rowNumber: number; data: unknown }, batch: { rows: Record<string, unknown>[]; rowNumbers: number[]; rejected: LoadRejectedRow[] }): void {
  // A row the file reader rejected, carried through the raw store with its reason (src/ingest/raw-rejection.ts).
  const readerRejection = unwrapRejection(record.data);
  if (readerRejection) {
    batch.rejected.push({ ...readerRejection, rowNumber: record.rowNumber });
    return;
  }
  const result = mapper.map(record.data);
  if (result.ok) {
    batch.rows.push(result.row);
    batch.rowNumbers.push(record.rowNumber);
  } else {
    batch.rejected.push({ raw: result.rejected.record, field: result.rejected.field, reason: result.rejected.reason, rowNumber: record.rowNumber });
  }
}

const rejectedOf = (batch: RecordBatch): LoadRejectedRow[] =>
  (batch.rejected ?? []).map((r) => ({ raw: r.raw, field: r.field, reason: r.reason, rowNumber: r.rowNumber }));

function mappedMapper(mappings: readonly FieldMappingInput[]): Mapper {
  const mapper = createMapper(mappings);
  if (mapper.mode !== 'mapped') throw new UserError('invalid_config', 'loading a file straight into a table needs field mappings (auto mode infers the columns from the raw rows first)');
  return mapper;
}

/**
 * File → typed table in one load (goal (a) of bench/ingest): the CSV
 * reader hands its well-formed rows to a CsvCopySink, which writes them as
 * COPY lines; every other row (declined by the sink, or a JSON or NDJSON
 * file's records) is mapped and encoded the ordinary way, and the reader's
 * rejected rows are kept with their reasons. The result, rejected rows and
 * reasons included, is the same as `warehouse.load` of the reader's
 * records mapped by `createMapper(mappings)`. Needs field mappings.
 */
export async function loadFileFast(
  warehouse: Warehouse,
  orgId: string,
  table: string,
  file: FileSource,
  options: FastLoadOptions & { mappings: readonly FieldMappingInput[]; read?: ReadFileOptions | undefined; signal?: AbortSignal | undefined },
): Promise<LoadResult & { summary: FileReadSummary }> {
  const { mappings, read, signal, ...load } = options;
  const mapper = mappedMapper(mappings);
  let summary: FileReadSummary | undefined;
  async function* batches(target: CopyTarget | null): AsyncGenerator<EncodedBatch> {
    const sink = new CsvCopySink(mappings, target);
    const reader = readFileWithSink(file, read ?? {}, sink);
    try {
      for await (const batch of reader) {
        signal?.throwIfAborted();
        const out = { rows: [] as Record<string, unknown>[], rowNumbers: [] as number[], rejected: rejectedOf(batch) };
        for (const record of batch.records) mapInto(mapper, record, out);
        yield { ...out, copy: sink.take() };
      }
      // Lines of the last rows, if the reader's last batch came before them.
      const rest = sink.take();
      if (rest !== undefined) yield { rows: [], rejected: [], copy: rest };
    } finally {
      summary = reader.summary;
    }
  }
  const result = await loadEncoded(warehouse, orgId, table, batches, { ...load, keyPaths: keyPathsOf(mappings, load.primaryKey), columns: mapper.columns() });
  return { ...result, summary: summary! };
}

/**
 * `warehouse.load` of records mapped by `mappings`, the records of a plain
 * field-to-column mapping written straight as COPY lines (a
 * RecordCopyEncoder), the others mapped and encoded the ordinary way. Same
 * result, rejected rows and reasons included, as `warehouse.load(…,
 * toLoadBatches(createMapper(mappings), batches), …)`. With no mappings
 * (auto mode) `columns` must be given and every record takes the ordinary path.
 */
export async function loadRecordsFast(
  warehouse: Warehouse,
  orgId: string,
  table: string,
  batches: AsyncIterable<RecordBatch>,
  options: FastLoadOptions & { mappings: readonly FieldMappingInput[]; mapper?: Mapper | undefined; columns?: LoadOptions['columns'] | undefined; signal?: AbortSignal | undefined },
): Promise<LoadResult> {
  const { mappings, signal, columns, mapper: given, ...load } = options;
  const mapper = given ?? createMapper(mappings);
  async function* encoded(target: CopyTarget | null): AsyncGenerator<EncodedBatch> {
    const encoder = new RecordCopyEncoder(mappings, mapper.mode === 'mapped' ? target : null);
    for await (const batch of prefetched(batches)) {
      signal?.throwIfAborted();
      const out = { rows: [] as Record<string, unknown>[], rowNumbers: [] as number[], rejected: rejectedOf(batch) };
      for (const record of batch.records) {
        if (unwrapRejection(record.data) || !encoder.encode(record.data, record.rowNumber)) mapInto(mapper, record, out);
      }
      yield { ...out, copy: encoder.take() };
    }
  }
  return loadEncoded(warehouse, orgId, table, encoded, { ...load, keyPaths: keyPathsOf(mappings, load.primaryKey), columns: columns ?? mapper.columns() });
}

/**
 * File → raw store (the first hop of goal (b) of bench/ingest): the CSV
 * reader's well-formed rows are written as JSON text straight from the
 * file (a CsvJsonSink, for a PostgresRawStore), the other records as
 * `writeBatch` stores them; each raw row keeps its row number in the file.
 * The next batch is read while the last one is being stored. The rows the
 * reader rejected go to `onRejected`, with their reasons (they are not raw
 * records). Stored data are the same as writing every batch of
 * `readFile(file, read)` with `writeBatch`; only the watermark order of a
 * record the fast path left to the reader may differ from its file order.
 */
export async function landFileFast(
  raw: RawStore,
  orgId: string,
  table: string,
  source: RawSource,
  file: FileSource,
  options: {
    read?: ReadFileOptions | undefined;
    signal?: AbortSignal | undefined;
    onRejected?: ((rows: FileRejection[]) => void | Promise<void>) | undefined;
  } = {},
): Promise<{ records: number; stored: number; summary: FileReadSummary }> {
  const json = raw instanceof PostgresRawStore ? raw : null;
  const sink = new CsvJsonSink({ enabled: json !== null, segmentRows: WRITE_CHUNK });
  const reader = readFileWithSink(file, options.read ?? {}, sink);
  let stored = 0;
  let inFlight: Promise<number> | undefined;
  /** One write at a time, in order; reading goes on while it runs. */
  const schedule = async (write: () => Promise<number>): Promise<void> => {
    if (inFlight !== undefined) stored += await inFlight;
    inFlight = write();
    // Seen by the next `schedule` or the end; until then a failure must not count as unhandled.
    inFlight.catch(() => undefined);
  };
  const flushSink = async (all: boolean): Promise<void> => {
    for (const segment of sink.take(all)) await schedule(() => json!.writeJsonBatch(orgId, table, source, segment.rowNumbers, segment.json));
  };
  try {
    for await (const batch of reader) {
      options.signal?.throwIfAborted();
      await flushSink(false);
      if (batch.records.length > 0) {
        const records = batch.records;
        await schedule(() => raw.writeBatch(orgId, table, source, records));
      }
      if (batch.rejected.length > 0) await options.onRejected?.(batch.rejected);
    }
    await flushSink(true);
  } finally {
    // Let a write still running finish (or fail) before returning or throwing.
    if (inFlight !== undefined) {
      const last = inFlight;
      inFlight = undefined;
      stored += await last;
    }
  }
  const summary = reader.summary;
  return { records: summary.records, stored, summary };
}

/**
 * Records per query when loadRawFast reads segments: one segment (5,000).
 * Each is a string of megabytes, which only a full GC frees; more per query
 * and one query read ahead cost peak memory and gained nothing measurable.
 */
const READ_RECORDS = WRITE_CHUNK;

/**
 * Raw store → typed table (the second hop of goal (b) of bench/ingest):
 * `loadRecordsFast` over the rows of `source` (or those after
 * `sinceWatermark`), reading a PostgresRawStore's segments as JSON text
 * and writing flat records straight as COPY lines (a SegmentCopyEncoder);
 * segments of other records, and records the fast path declines, are
 * parsed and take the ordinary path. Any other raw store is read with
 * `read`. The result is `loadRecordsFast`'s, with the raw rows read.
 * The raw table read is the table loaded, as in src/ingest's loadFromRaw.
 */
export async function loadRawFast(
  raw: RawStore,
  warehouse: Warehouse,
  orgId: string,
  table: string,
  options: FastLoadOptions & {
    mappings: readonly FieldMappingInput[];
    source?: RawSource | undefined;
    sinceWatermark?: number | undefined;
    /** Only rows up to this watermark (a high watermark taken earlier: src/ingest's loadFromRaw takes one). */
    toWatermark?: number | undefined;
    mapper?: Mapper | undefined;
    columns?: LoadOptions['columns'] | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<LoadResult & { received: number }> {
  const { mappings, source, sinceWatermark, toWatermark, signal, columns, mapper: given, ...load } = options;
  const mapper = given ?? createMapper(mappings);
  const upTo = toWatermark ?? Number.MAX_SAFE_INTEGER;
  let received = 0;
  if (!(raw instanceof PostgresRawStore)) {
    async function* records(): AsyncGenerator<RecordBatch> {
      for await (const rows of raw.read(orgId, table, { source, sinceWatermark, batchSize: 5000 })) {
        const wanted = rows.filter((r) => r.watermark <= upTo);
        received += wanted.length;
        yield { records: wanted };
      }
    }
    const result = await loadRecordsFast(warehouse, orgId, table, records(), { ...load, mappings, mapper, columns, signal });
    return { ...result, received };
  }
  const store: PostgresRawStore = raw;
  async function* encoded(target: CopyTarget | null): AsyncGenerator<EncodedBatch> {
    const segments = new SegmentCopyEncoder(mappings, mapper.mode === 'mapped' ? target : null);
    const records = new RecordCopyEncoder(mappings, mapper.mode === 'mapped' ? target : null);
    for await (const page of prefetched(store.readSegments(orgId, table, { source, sinceWatermark, batchSize: READ_RECORDS }))) {
      signal?.throwIfAborted();
      const out = { rows: [] as Record<string, unknown>[], rowNumbers: [] as number[], rejected: [] as LoadRejectedRow[] };
      for (const segment of page) {
        // The high watermark only ever moves by whole segments: a segment is wholly below it or wholly above.
        if (segment.firstWatermark > upTo) continue;
        received += segment.rowNumbers.length - segment.skip;
        const declined = segments.encode(segment.json, segment.rowNumbers, segment.skip);
        if (declined !== null) {
          for (const record of declined) mapInto(mapper, record, out);
          continue;
        }
        // Not flat records alike: parsed, then each record the fast way or the ordinary way.
        const data = JSON.parse(segment.json.toString('utf8')) as unknown[];
        for (let i = segment.skip; i < data.length; i++) {
          const record = { rowNumber: segment.rowNumbers[i]!, data: data[i] };
          if (unwrapRejection(record.data) || !records.encode(record.data, record.rowNumber)) mapInto(mapper, record, out);
        }
      }
      const a = segments.take();
      const b = records.take();
      const copy = a === undefined ? b : b === undefined ? a : { chunks: [...a.chunks, ...b.chunks], rows: a.rows + b.rows };
      yield { ...out, copy };
    }
  }
  const result = await loadEncoded(warehouse, orgId, table, encoded, { ...load, keyPaths: keyPathsOf(mappings, load.primaryKey), columns: columns ?? mapper.columns() });
  return { ...result, received };
}
