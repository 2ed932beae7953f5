import { int4ArrayBinary, int4ArrayOf, int4Of, int8Of, parseCopyBinary, sqlLiteral, timestamptzOf, type Database, type Queryable } from '../../db/index.js';
import { notFound, validationFailed } from '../../errors/index.js';
import { checkBatchSize, checkOrg, checkRecords, checkRowNumbers, checkScope, checkTable, checkWatermark, rangeOf, splitBatch, stringify } from './checks.js';
import type { RawReadOptions, RawRecord, RawRecordInput, RawSource, RawStore } from './raw.store.js';

/**
 * Records per segment (one stored row). A larger batch is stored as several
 * segments in one transaction. bench/raw-store.ts measures 1,000, 5,000 and
 * 20,000; past 5,000 a write gets no faster and a read holds more in memory.
 */
export const WRITE_CHUNK = 5000;
/**
 * The most JSON text one segment holds (UTF-16 units, as JavaScript counts
 * them): a chunk of large records is split until each part fits, so a read
 * never holds more than about this much of one segment.
 */
export const MAX_SEGMENT_CHARS = 16 * 1024 * 1024;

export interface PostgresRawStoreOptions {
  /** Records per segment (default WRITE_CHUNK). */
  writeChunk?: number;
}

const FOREIGN_KEY_VIOLATION = '23503';
/** Segment headers a read query considers at once. */
const SEGMENTS_PER_QUERY = 200;

/**
 * The first statement of a write: finds or creates the table and the source,
 * and takes the table row's lock until commit (every writer of the table
 * waits here, so the next statements see everything written before). The
 * no-op updates are what make ON CONFLICT lock the row and return its id.
 */
const LOCK_TABLE = `
WITH t AS (
  INSERT INTO raw_tables AS rt (org_id, table_name) VALUES ($1, $2)
  ON CONFLICT (org_id, table_name) DO UPDATE SET high_watermark = rt.high_watermark
  RETURNING rt.id
), s AS (
  INSERT INTO raw_sources AS rs (table_id, org_id, source_kind, source_id)
  SELECT t.id, $1, $3, $4 FROM t
  ON CONFLICT (table_id, source_kind, source_id) DO UPDATE SET source_kind = rs.source_kind
  RETURNING rs.id
)
SELECT t.id AS table_id, s.id AS source_id FROM t, s`;

/** The row numbers in [$3, $4] the source already has (the idempotency check). */
const STORED_ROW_NUMBERS = `
SELECT r FROM raw_segments g, unnest(g.row_numbers) AS r
 WHERE g.raw_source_id = $1 AND g.org_id = $2 AND g.last_row >= $3 AND g.first_row <= $4 AND r BETWEEN $3 AND $4`;

/** Stores one segment, its watermarks the next $3 of the table's counter. */
const INSERT_SEGMENT = `
WITH c AS (
  UPDATE raw_tables SET high_watermark = high_watermark + $3 WHERE id = $1 AND org_id = $4
  RETURNING high_watermark - $3 AS base
)
INSERT INTO raw_segments (table_id, first_watermark, last_watermark, raw_source_id, org_id, row_count, first_row, last_row, row_numbers, data)
SELECT $1, c.base + 1, c.base + $3, $2, $4, $3, $5, $6, $7::int[], $8::text FROM c`;

/** The table's id, found through its organisation. */
const TABLE_ID = '(SELECT id FROM raw_tables WHERE org_id = $1 AND table_name = $2)';
/** The source's id, found through its table and organisation ($3 kind, $4 id). */
const SOURCE_ID = `(SELECT s.id FROM raw_sources s JOIN raw_tables t ON t.id = s.table_id
   WHERE t.org_id = $1 AND t.table_name = $2 AND s.org_id = $1 AND s.source_kind = $3 AND s.source_id = $4)`;


type Int8 = number | string;

/** One stored segment, unparsed (see `readSegments`). */
export interface RawSegment {
  source: RawSource;
  /** The row numbers of the segment's records, in order. */
  rowNumbers: number[];
  /** The JSON array of their data, as UTF-8 bytes. */
  json: Buffer;
  /** How many records at the start are not part of the read. */
  skip: number;
  /** The watermark of the first record (the others follow, one apart). */
  firstWatermark: number;
  ingestedAt: Date;
}

/** A segment as a page query returns it: its data as text (`read`) or as UTF-8 bytes (`readSegments`). */
interface SegmentRow<D> {
  last_watermark: number;
  row_count: number;
  raw_source_id: number;
  ingested_at: Date;
  row_numbers: number[];
  data: D;
}

/** What one read covers, fixed when it begins: watermarks in `(since, to]` of one table (and source). */
interface ReadScope {
  tableId: number;
  to: number;
  sourceId: number | undefined;
}

/** A chunk of a batch ready to store: its records' row numbers and the JSON array of their data (text, or UTF-8 bytes for a server). */
interface Chunk {
  rowNumbers: readonly number[];
  json: string | Buffer;
}

/**
 * The raw store in PostgreSQL (embedded PGlite or a server, through the
 * `Database` interface): segments of records in `raw_segments`. See
 * README.md for the layout and the measurements behind it.
 *
 * The `Database` belongs to the caller; `close()` leaves it open.
 */
export class PostgresRawStore implements RawStore {
  readonly kind = 'postgres' as const;
  readonly #db: Database;
  readonly #writeChunk: number;

  constructor(db: Database, options: PostgresRawStoreOptions = {}) {
    this.#db = db;
    this.#writeChunk = options.writeChunk ?? WRITE_CHUNK;
    if (!Number.isInteger(this.#writeChunk) || this.#writeChunk < 1) throw new RangeError('writeChunk must be a positive integer');
  }

  async writeBatch(orgId: string, table: string, source: RawSource, records: readonly RawRecordInput[]): Promise<number> {
    checkScope(orgId, table, source);
    checkRecords(records);
    if (records.length === 0) return 0;
    // JSON text is made before the transaction, so the table's lock is held for database work only.
    const chunks = splitBatch(records, this.#writeChunk, MAX_SEGMENT_CHARS).map((s) => ({ rowNumbers: s.records.map((r) => r.rowNumber), json: s.json }));
    return this.#store(orgId, table, source, chunks);
  }

  async #store(orgId: string, table: string, source: RawSource, chunks: readonly Chunk[]): Promise<number> {
    try {
      // One transaction: the batch is stored whole or not at all.
      return await this.#db.transaction(async (tx) => {
        const { rows } = await tx.query<{ table_id: Int8; source_id: Int8 }>(LOCK_TABLE, [orgId, table, source.kind, source.id]);
        const tableId = Number(rows[0]!.table_id);
        const sourceId = Number(rows[0]!.source_id);
        let stored = 0;
        for (const chunk of chunks) stored += await insertChunk(tx, orgId, tableId, sourceId, chunk, this.#db.kind === 'postgres');
        return stored;
      });
    } catch (error) {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw notFound('Organisation', orgId);
      throw error;
    }
  }

  /**
   * `writeBatch` for records whose data is already JSON text (the fast
   * ingest path, src/ingest/fast): `json` is the JSON array of the records'
   * data, exactly as `JSON.stringify(records.map((r) => r.data))` would
   * write it (a string, or its UTF-8 bytes), and `rowNumbers` their row
   * numbers, in the same order. Stored and counted as `writeBatch` would
   * store them.
   */
  async writeJsonBatch(orgId: string, table: string, source: RawSource, rowNumbers: readonly number[], json: string | Buffer): Promise<number> {
    checkScope(orgId, table, source);
    checkRowNumbers(rowNumbers);
    if (rowNumbers.length === 0) return 0;
    if (rowNumbers.length > this.#writeChunk || json.length > MAX_SEGMENT_CHARS) {
      // More than one segment's worth: split the ordinary way.
      const data = JSON.parse(json.toString()) as unknown[];
      return this.writeBatch(orgId, table, source, rowNumbers.map((rowNumber, i) => ({ rowNumber, data: data[i] })));
    }
    // A server takes the bytes as they are (a binary text parameter); the embedded database, a string.
    const text = typeof json === 'string' || this.#db.kind === 'postgres' ? json : json.toString('utf8');
    return this.#store(orgId, table, source, [{ rowNumbers, json: text }]);
  }

  async *read(orgId: string, table: string, options: RawReadOptions = {}): AsyncGenerator<RawRecord[]> {
    const batchSize = checkBatchSize(options.batchSize);
    let pending: RawRecord[] = [];
    for await (const page of this.#pages(orgId, table, options, () => batchSize - pending.length, segmentText)) {
      for (const { source, segment, after } of page) pending.push(...explode(orgId, table, source, segment, after));
      while (pending.length >= batchSize) {
        yield pending.slice(0, batchSize);
        pending = pending.slice(batchSize);
      }
    }
    if (pending.length > 0) yield pending;
  }

  /**
   * `read`, a segment at a time, without parsing it (the fast ingest path,
   * src/ingest/fast): each segment's records as the JSON array text they
   * were stored as, with their row numbers; the first `skip` of them are
   * not part of the read (they are at or below `sinceWatermark`). Segments
   * come in watermark order, several per query (`batchSize` records, as for
   * `read`; default 20,000).
   */
  async *readSegments(orgId: string, table: string, options: RawReadOptions = {}): AsyncGenerator<RawSegment[]> {
    const batchSize = checkBatchSize(options.batchSize ?? 20_000);
    for await (const page of this.#pages(orgId, table, options, () => batchSize, segmentBytes)) {
      const out: RawSegment[] = [];
      for (const { source, segment, after } of page) {
        const first = segment.last_watermark - segment.row_count + 1;
        out.push({ source, rowNumbers: segment.row_numbers, json: segment.data, skip: Math.max(0, after - first + 1), firstWatermark: first, ingestedAt: segment.ingested_at });
      }
      if (out.length > 0) yield out;
    }
  }

  /**
   * The segments of a read, a query's worth at a time; `want` says how many
   * records the next query should bring, `fetch` runs the query (text or bytes).
   */
  async *#pages<D>(
    orgId: string,
    table: string,
    options: RawReadOptions,
    want: () => number,
    fetch: PageFetch<D>,
  ): AsyncGenerator<{ source: RawSource; segment: SegmentRow<D>; after: number }[]> {
    checkScope(orgId, table, options.source);
    const since = checkWatermark(options.sinceWatermark);
    const scope = await this.#readScope(orgId, table, options.source);
    if (!scope) return;
    // Sources by id, looked up once per read (a segment holds one source).
    const sources = new Map<number, RawSource>();
    if (options.source && scope.sourceId !== undefined) sources.set(scope.sourceId, { kind: options.source.kind, id: options.source.id });
    let cursor = since;
    while (cursor < scope.to) {
      const segments = await fetch(this.#db, { tableId: scope.tableId, orgId, after: cursor, to: scope.to, want: want(), sourceId: scope.sourceId });
      if (segments.length === 0) break;
      await this.#resolveSources(orgId, segments, sources);
      const page: { source: RawSource; segment: SegmentRow<D>; after: number }[] = [];
      for (const segment of segments) {
        const source = sources.get(segment.raw_source_id);
        // A source deleted while this read went on: its records are gone too.
        if (source) page.push({ source, segment, after: cursor });
        cursor = segment.last_watermark;
      }
      yield page;
    }
  }

  async count(orgId: string, table: string, options: Pick<RawReadOptions, 'source' | 'sinceWatermark'> = {}): Promise<number> {
    checkScope(orgId, table, options.source);
    const since = checkWatermark(options.sinceWatermark);
    // A segment holds min(row_count, last_watermark - since) records after `since`.
    const { rows } = options.source
      ? await this.#db.query<{ n: Int8 | null }>(
          `SELECT sum(least(row_count, last_watermark - $5)) AS n FROM raw_segments
            WHERE table_id = ${TABLE_ID} AND org_id = $1 AND raw_source_id = ${SOURCE_ID} AND last_watermark > $5`,
          [orgId, table, options.source.kind, options.source.id, since],
        )
      : await this.#db.query<{ n: Int8 | null }>(
          `SELECT sum(least(row_count, last_watermark - $3)) AS n FROM raw_segments
            WHERE table_id = ${TABLE_ID} AND org_id = $1 AND last_watermark > $3`,
          [orgId, table, since],
        );
    return Number(rows[0]?.n ?? 0);
  }

  async highWatermark(orgId: string, table: string): Promise<number> {
    checkScope(orgId, table);
    const { rows } = await this.#db.query<{ w: Int8 | null }>(
      `SELECT max(last_watermark) AS w FROM raw_segments WHERE table_id = ${TABLE_ID} AND org_id = $1`,
      [orgId, table],
    );
    return Number(rows[0]?.w ?? 0);
  }

  async deleteOlderThan(orgId: string, before: Date, table?: string): Promise<number> {
    checkOrg(orgId);
    if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
      throw validationFailed([{ field: 'before', message: 'must be a valid date' }]);
    }
    if (table !== undefined) checkTable(table);
    return this.#db.transaction(async (tx) => {
      // The tables' locks, as writers take them: no write adds to a source while we decide it is empty.
      const { rows: tables } = await tx.query<{ id: Int8 }>(
        `SELECT id FROM raw_tables WHERE org_id = $1${table === undefined ? '' : ' AND table_name = $2'} ORDER BY id FOR UPDATE`,
        table === undefined ? [orgId] : [orgId, table],
      );
      if (tables.length === 0) return 0;
      const ids = tables.map((t) => Number(t.id));
      const { rows } = await tx.query<{ n: Int8 | null }>(
        `WITH d AS (DELETE FROM raw_segments WHERE org_id = $1 AND ingested_at < $2 AND table_id = ANY($3::bigint[]) RETURNING row_count)
         SELECT sum(row_count) AS n FROM d`,
        [orgId, before, ids],
      );
      // Forget the sources retention emptied; the tables' counters stay (watermarks are never reused).
      await tx.query(
        `DELETE FROM raw_sources s WHERE s.org_id = $1 AND s.table_id = ANY($2::bigint[])
            AND NOT EXISTS (SELECT 1 FROM raw_segments g WHERE g.raw_source_id = s.id)`,
        [orgId, ids],
      );
      return Number(rows[0]?.n ?? 0);
    });
  }

  async deleteSource(orgId: string, table: string, source: RawSource): Promise<number> {
    checkScope(orgId, table, source);
    return this.#db.transaction(async (tx) => {
      // The table's lock first, as writers take it: no write of this source interleaves.
      await tx.query('SELECT id FROM raw_tables WHERE org_id = $1 AND table_name = $2 FOR UPDATE', [orgId, table]);
      const { rows } = await tx.query<{ id: Int8 | null }>(`SELECT ${SOURCE_ID} AS id`, [orgId, table, source.kind, source.id]);
      const sourceId = rows[0]?.id;
      if (sourceId === null || sourceId === undefined) return 0;
      const { rows: deleted } = await tx.query<{ n: Int8 | null }>(
        `WITH d AS (DELETE FROM raw_segments WHERE raw_source_id = $1 AND org_id = $2 RETURNING row_count)
         SELECT sum(row_count) AS n FROM d`,
        [sourceId, orgId],
      );
      await tx.query('DELETE FROM raw_sources WHERE id = $1 AND org_id = $2', [sourceId, orgId]);
      return Number(deleted[0]?.n ?? 0);
    });
  }

  async close(): Promise<void> {
    // The Database belongs to whoever passed it in.
  }

  /** The table (and source) a read covers, up to the table's counter when it begins. */
  async #readScope(orgId: string, table: string, source: RawSource | undefined): Promise<ReadScope | undefined> {
    const { rows } = await this.#db.query<{ id: Int8; high_watermark: Int8; source_id: Int8 | null }>(
      `SELECT t.id, t.high_watermark, ${source ? 's.id' : 'NULL'} AS source_id
         FROM raw_tables t${source ? ' JOIN raw_sources s ON s.table_id = t.id AND s.org_id = $1 AND s.source_kind = $3 AND s.source_id = $4' : ''}
        WHERE t.org_id = $1 AND t.table_name = $2`,
      source ? [orgId, table, source.kind, source.id] : [orgId, table],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { tableId: Number(row.id), to: Number(row.high_watermark), sourceId: row.source_id === null ? undefined : Number(row.source_id) };
  }

  /** Adds to `sources` the sources of `segments` it does not know yet. */
  async #resolveSources(orgId: string, segments: readonly { raw_source_id: number }[], sources: Map<number, RawSource>): Promise<void> {
    const missing = new Set<number>();
    for (const segment of segments) {
      const id = segment.raw_source_id;
      if (!sources.has(id)) missing.add(id);
    }
    if (missing.size === 0) return;
    const { rows } = await this.#db.query<{ id: Int8; source_kind: RawSource['kind']; source_id: string }>(
      'SELECT id, source_kind, source_id FROM raw_sources WHERE org_id = $1 AND id = ANY($2::bigint[])',
      [orgId, [...missing]],
    );
    for (const s of rows) sources.set(Number(s.id), { kind: s.source_kind, id: s.source_id });
  }
}

/** What a page query asks for: segments of a table after a watermark, up to the read's end, as many as hold `want` records. */
interface PageQuery {
  tableId: number;
  orgId: string;
  after: number;
  to: number;
  want: number;
  sourceId: number | undefined;
}

type PageFetch<D> = (db: Queryable, page: PageQuery) => Promise<SegmentRow<D>[]>;

/**
 * The page query. Keyset pages over the primary key (table_id,
 * last_watermark): each query is short, so nothing stays open while the
 * consumer works (on PGlite an open cursor would block every other query).
 * A query takes the next segments until they hold the records still
 * wanted: `h` ranks segment headers (small rows; the data sits in TOAST)
 * and only the chosen segments' data is sent. `v` gives each value as SQL:
 * a parameter (`$1`) or a literal.
 */
function pageSql(v: { tableId: string; orgId: string; after: string; to: string; want: string; sourceId: string | undefined }): string {
  return `
      WITH h AS (
        SELECT last_watermark, sum(row_count) OVER (ORDER BY last_watermark) - row_count AS before
          FROM raw_segments
         WHERE table_id = ${v.tableId} AND org_id = ${v.orgId} AND last_watermark > ${v.after} AND first_watermark <= ${v.to}${v.sourceId === undefined ? '' : ` AND raw_source_id = ${v.sourceId}`}
         ORDER BY last_watermark
         LIMIT ${SEGMENTS_PER_QUERY})
      SELECT g.last_watermark, g.row_count, g.raw_source_id, g.ingested_at, g.row_numbers, g.data
        FROM h JOIN raw_segments g ON g.table_id = ${v.tableId} AND g.last_watermark = h.last_watermark
       WHERE h.before < ${v.want}
       ORDER BY g.last_watermark`;
}

/** A page with the data as text, through the query protocol (`read` parses it). */
const segmentText: PageFetch<string> = async (db, page) => {
  const params: unknown[] = [page.tableId, page.orgId, page.after, page.to, page.want];
  if (page.sourceId !== undefined) params.push(page.sourceId);
  const sql = pageSql({ tableId: '$1', orgId: '$2', after: '$3', to: '$4', want: '$5', sourceId: page.sourceId === undefined ? undefined : '$6' });
  const { rows } = await db.query<Omit<SegmentRow<string>, 'last_watermark' | 'raw_source_id'> & { last_watermark: Int8; raw_source_id: Int8 }>(sql, params);
  return rows.map((row) => ({ ...row, last_watermark: Number(row.last_watermark), raw_source_id: Number(row.raw_source_id) }));
};

/**
 * A page with the data as UTF-8 bytes, through a binary COPY: the query
 * protocol's driver would decode megabytes of JSON to a string that the
 * fast path only copies back into bytes. COPY takes no parameters: the
 * numbers are written in, the organisation as a quoted literal.
 */
const segmentBytes: PageFetch<Buffer> = async (db, page) => {
  const sql = pageSql({
    tableId: String(page.tableId),
    orgId: sqlLiteral(page.orgId),
    after: String(page.after),
    to: String(page.to),
    want: String(page.want),
    sourceId: page.sourceId === undefined ? undefined : String(page.sourceId),
  });
  const rows = parseCopyBinary(await db.copyOut(`COPY (${sql}) TO STDOUT (FORMAT binary)`));
  return rows.map((f) => ({
    last_watermark: int8Of(f[0]!),
    row_count: int4Of(f[1]!),
    raw_source_id: int8Of(f[2]!),
    ingested_at: timestamptzOf(f[3]!),
    row_numbers: int4ArrayOf(f[4]!),
    data: f[5]!,
  }));
};

/** The records of a segment whose watermark is above `after`. */
function explode(orgId: string, table: string, source: RawSource, segment: SegmentRow<string>, after: number): RawRecord[] {
  const data = JSON.parse(segment.data) as unknown[];
  const first = segment.last_watermark - segment.row_count + 1;
  const out: RawRecord[] = [];
  for (let i = Math.max(0, after - first + 1); i < segment.row_count; i++) {
    out.push({
      orgId,
      table,
      source,
      rowNumber: segment.row_numbers[i]!,
      data: data[i],
      ingestedAt: segment.ingested_at,
      watermark: first + i,
    });
  }
  return out;
}

/**
 * Stores the records of `chunk` the source does not have yet, as one
 * segment. Runs under the table's lock, in a statement after the one that
 * took it, so it sees every segment committed before.
 */
async function insertChunk(tx: Queryable, orgId: string, tableId: number, sourceId: number, chunk: Chunk, server: boolean): Promise<number> {
  let { rowNumbers, json } = chunk;
  let [low, high] = rangeOf(rowNumbers);
  const { rows: stored } = await tx.query<{ r: number }>(STORED_ROW_NUMBERS, [sourceId, orgId, low, high]);
  if (stored.length > 0) {
    // A retry or an overlap: keep the first write of each row, store only the new ones.
    const have = new Set(stored.map((s) => s.r));
    const data = JSON.parse(json.toString()) as unknown[];
    const keep = rowNumbers.map((n, i) => i).filter((i) => !have.has(rowNumbers[i]!));
    if (keep.length === 0) return 0;
    rowNumbers = keep.map((i) => rowNumbers[i]!);
    json = stringify(keep.map((i) => data[i]));
    [low, high] = rangeOf(rowNumbers);
  }
  // A server takes the row numbers in binary (no array literal to build and parse), PGlite as an array.
  await tx.query(INSERT_SEGMENT, [tableId, sourceId, rowNumbers.length, orgId, low, high, server ? int4ArrayBinary(rowNumbers) : rowNumbers, json]);
  return rowNumbers.length;
}

