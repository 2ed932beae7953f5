import { createHash, randomUUID } from 'node:crypto';
import type { Collection, Db, Filter, MongoClient } from 'mongodb';
import { withTimeout } from '../../db/rows.js';
import { AppError, notFound, TransientError, UserError, validationFailed } from '../../errors/index.js';
import { checkBatchSize, checkOrg, checkRecords, checkScope, checkTable, checkWatermark, rangeOf, splitBatch, stringify } from './checks.js';
import { WRITE_CHUNK } from './postgres.raw-store.js';
import type { RawReadOptions, RawRecord, RawRecordInput, RawSource, RawStore } from './raw.store.js';

/** The database the raw store uses when none is configured (MONGO_DATABASE). */
export const DEFAULT_MONGO_DATABASE = 'client_data';
/**
 * The most JSON text one part holds (UTF-16 units): a chunk of large records
 * is halved until each part fits, so a read holds about this much of a part.
 * A single record larger than this is stored in several pieces of at most
 * this many units (at most 12 MiB of UTF-8, under the 16 MiB BSON limit).
 */
export const MAX_PART_CHARS = 4 * 1024 * 1024;
/** How long a writer's lease on a table lasts unless renewed (default). */
export const DEFAULT_LEASE_MS = 30_000;
/** How long a writer waits for a table another writer holds before giving up (default). */
export const DEFAULT_LEASE_WAIT_MS = 120_000;

/** The catalogue: one document per (organisation, table). */
const TABLES = 'raw_tables';
/** Writer leases: one document per lease epoch of a table (the last one or two are kept). */
const LEASES = 'raw_leases';
const DUPLICATE_KEY = 11000;
/** Batch headers a read query brings at once. */
const HEADERS_PER_QUERY = 500;
/** Lease epochs of a table kept before the old ones are deleted. */
const EPOCHS_KEPT = 16;
/** Data documents sent per insert command (the driver splits larger messages itself). */
const PIECES_PER_INSERT = 8;

export interface MongoRawStoreOptions {
  /** mongodb:// or mongodb+srv:// URI (MONGO_URI). Its credentials never appear in an error. */
  uri: string;
  /** Database name (MONGO_DATABASE); default `client_data`. */
  database?: string | undefined;
  /** Shown in the server's logs and currentOp; default `sluice`. */
  appName?: string | undefined;
  /** How long connecting (and picking a server for any command) may take; default 10 s. */
  connectTimeoutMs?: number | undefined;
  /** Records per data part (default WRITE_CHUNK, 5,000). */
  writeChunk?: number | undefined;
  /** A writer's lease on a table, renewed while it writes (default 30 s). A crashed writer's lease is taken over after it. */
  leaseMs?: number | undefined;
  /** How long a writer waits for a busy table before a TransientError (default 120 s). */
  leaseWaitMs?: number | undefined;
  /**
   * Whether an organisation exists. When given, `writeBatch` for an unknown
   * one throws `notFound('Organisation', id)`, as the PostgreSQL store does
   * through its foreign key; MongoDB itself knows no organisations.
   */
  orgExists?: ((orgId: string) => Promise<boolean>) | undefined;
}

/** Where one (organisation, table) lives. */
interface TableRef {
  orgId: string;
  table: string;
  /** Hash of (org, table): the catalogue id and the collections' suffix. */
  key: string;
  headers: Collection<HeaderDoc>;
  data: Collection<DataDoc>;
}

/**
 * One stored batch (the commit record of a `writeBatch`), or a tombstone:
 * an empty header that takes one watermark so a writer whose lease was taken
 * over can never commit there (see README.md, "Watermarks").
 */
interface HeaderDoc {
  /** First watermark. */
  _id: number;
  o: string;
  /** Last watermark (the first, for a tombstone). */
  l: number;
  /** Records (0 for a tombstone). */
  n: number;
  /** Ingest time. */
  i: Date;
  /** Source kind and id (absent on a tombstone). */
  k?: RawSource['kind'];
  s?: string;
  /** Lowest and highest row number. */
  lo?: number;
  hi?: number;
  /** Per part: records, lowest and highest row number, pieces. */
  pn?: number[];
  plo?: number[];
  phi?: number[];
  pc?: number[];
  /** The writer's lease token (tells a writer, after an ambiguous failure, whether its commit landed). */
  w?: string;
  /** Set on tombstones. */
  t?: boolean;
}

/** One piece of one part of a batch: `_id` is `<first watermark>:<part>` (piece 0) or `<first>:<part>.<piece>`. */
interface DataDoc {
  _id: string;
  o: string;
  /** The batch's first watermark. */
  g: number;
  k: RawSource['kind'];
  s: string;
  i: Date;
  /** Row numbers of the part as runs (piece 0 only): see `encodeRuns`. */
  r?: number[];
  /** JSON text: the part's array of data, or a slice of it. */
  j: string;
}

/** One epoch of a table's writer lease. Only its holder changes it; the next holder inserts the next epoch. */
interface LeaseDoc {
  _id: string;
  o: string;
  /** The table key. */
  h: string;
  /** Epoch: 1, 2, 3… per table; inserting epoch e + 1 (a unique `_id`) is what takes the lease. */
  e: number;
  /** The table's high watermark when the lease was taken: the holder's records start above it. */
  base: number;
  until: Date;
  token: string;
  /** Set on release, with the high watermark the holder left. */
  done?: boolean;
  high?: number;
}

interface CatalogueDoc {
  _id: string;
  o: string;
  t: string;
  headers: string;
  data: string;
  created: Date;
}

/** A held lease. */
interface Lease {
  id: string;
  token: string;
  epoch: number;
  /** Records of this holder start at base + 1. */
  base: number;
  renewedAt: number;
  /** Set when a write failed and whether it landed is unknown: the lease is then left to expire. */
  unsettled?: boolean;
}

/** What a job under the lease returns: its result, and the high watermark it leaves (default: the lease's base). */
interface Outcome<T> {
  result: T;
  high?: number;
}

/** A part of a batch ready to store. */
interface Part {
  records: readonly RawRecordInput[];
  json: string;
}

/**
 * The raw store in MongoDB (or a MongoDB-protocol server such as FerretDB):
 * per organisation and table a collection of batch headers and one of data
 * parts, a catalogue (`raw_tables`) and writer leases (`raw_leases`). See
 * README.md ("MongoDB") for the layout, the guarantees and why FerretDB 1.x
 * shapes it. Build one with `MongoRawStore.connect`; `close()` closes the
 * client it opened.
 */
/**
 * The MongoDB driver, loaded by the first `connect`: ~20 MB that a process
 * whose raw store is the database (the default) never needs.
 */
let driver: typeof import('mongodb') | undefined;

export class MongoRawStore implements RawStore {
  readonly kind = 'mongodb' as const;
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #hosts: string;
  readonly #writeChunk: number;
  readonly #leaseMs: number;
  readonly #leaseWaitMs: number;
  readonly #orgExists: ((orgId: string) => Promise<boolean>) | undefined;
  /** Tables whose catalogue entry this process has made sure of. */
  readonly #catalogued = new Set<string>();
  /** Tables whose indexes this process has made sure of. */
  readonly #indexed = new Set<string>();
  /** Writers of one table in this process queue here instead of polling the lease. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #closed = false;

  private constructor(client: MongoClient, options: MongoRawStoreOptions) {
    this.#client = client;
    this.#db = client.db(options.database ?? DEFAULT_MONGO_DATABASE);
    this.#hosts = hostsOf(options.uri);
    this.#writeChunk = options.writeChunk ?? WRITE_CHUNK;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#leaseWaitMs = options.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS;
    this.#orgExists = options.orgExists;
  }

  /** Connects, and creates the shared collections' indexes (idempotent). */
  static async connect(options: MongoRawStoreOptions): Promise<MongoRawStore> {
    const writeChunk = options.writeChunk ?? WRITE_CHUNK;
    if (!Number.isInteger(writeChunk) || writeChunk < 1) throw new RangeError('writeChunk must be a positive integer');
    for (const [name, value] of [['leaseMs', options.leaseMs], ['leaseWaitMs', options.leaseWaitMs]] as const) {
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) throw new RangeError(`${name} must be a positive number of milliseconds`);
    }
    const database = options.database ?? DEFAULT_MONGO_DATABASE;
    if (!/^[A-Za-z0-9_-]{1,63}$/.test(database)) {
      throw new UserError('invalid_settings', 'MONGO_DATABASE must be 1-63 characters of A-Z, a-z, 0-9, _ and -');
    }
    const timeout = options.connectTimeoutMs ?? 10_000;
    driver ??= await import('mongodb');
    let client: MongoClient;
    try {
      client = new driver.MongoClient(options.uri, {
        appName: options.appName ?? 'sluice',
        serverSelectionTimeoutMS: timeout,
        connectTimeoutMS: timeout,
      });
    } catch (error) {
      // A malformed URI: say so without repeating it (it may hold a password).
      throw new UserError('invalid_settings', `MONGO_URI is not a valid MongoDB connection string (${redact(options.uri, (error as Error).message)})`);
    }
    const store = new MongoRawStore(client, { ...options, database });
    try {
      await client.connect();
      await store.#db.collection<CatalogueDoc>(TABLES).createIndex({ o: 1 }, { name: 'org' });
      await store.#db.collection<LeaseDoc>(LEASES).createIndex({ o: 1, h: 1, e: 1 }, { name: 'org_table_epoch' });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw store.#translate(error, options.uri);
    }
    return store;
  }

  /** Whether the server answers, within `timeoutMs`. */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    if (this.#closed) return false;
    return withTimeout(this.#db.command({ ping: 1 }).then(() => true), timeoutMs).catch(() => false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close();
  }

  async writeBatch(orgId: string, table: string, source: RawSource, records: readonly RawRecordInput[]): Promise<number> {
    checkScope(orgId, table, source);
    checkRecords(records);
    if (records.length === 0) return 0;
    // JSON text is made before the lease, so the table is held for database work only.
    const parts: Part[] = splitBatch(records, this.#writeChunk, MAX_PART_CHARS);
    return this.#guard(async () => {
      if (this.#orgExists && !(await this.#orgExists(orgId))) throw notFound('Organisation', orgId);
      const ref = await this.#ensureTable(orgId, table);
      await this.#ensureIndexes(ref);
      return this.#withLease(ref, (lease) => this.#store(ref, lease, source, parts));
    });
  }

  async *read(orgId: string, table: string, options: RawReadOptions = {}): AsyncGenerator<RawRecord[]> {
    checkScope(orgId, table, options.source);
    const since = checkWatermark(options.sinceWatermark);
    const batchSize = checkBatchSize(options.batchSize);
    const ref = this.#ref(orgId, table);
    // The table as it is now: records committed later are left for the next read.
    const to = await this.#guard(() => highOf(ref, false));
    let cursor = since;
    let pending: RawRecord[] = [];
    while (cursor < to) {
      const filter: Filter<HeaderDoc> = { o: orgId, n: { $gt: 0 }, l: { $gt: cursor, $lte: to }, ...sourceFilter(options.source) };
      const headers = await this.#guard(() => ref.headers.find(filter).sort({ l: 1 }).limit(HEADERS_PER_QUERY).toArray());
      if (headers.length === 0) break;
      for (const header of headers) {
        const source: RawSource = { kind: header.k!, id: header.s! };
        let first = header._id;
        for (let part = 0; part < header.pn!.length; part++) {
          const count = header.pn![part]!;
          const last = first + count - 1;
          if (last > cursor) {
            const loaded = await this.#guard(() => loadPart(ref, header, part));
            // A batch deleted while this read went on: its records are gone too.
            if (!loaded) break;
            for (let i = Math.max(0, cursor - first + 1); i < count; i++) {
              pending.push({ orgId, table, source, rowNumber: loaded.rowNumbers[i]!, data: loaded.data[i], ingestedAt: header.i, watermark: first + i });
            }
            while (pending.length >= batchSize) {
              const batch = pending.slice(0, batchSize);
              pending = pending.slice(batchSize);
              yield batch;
            }
          }
          first += count;
        }
        cursor = header.l;
      }
    }
    if (pending.length > 0) yield pending;
  }

  async count(orgId: string, table: string, options: Pick<RawReadOptions, 'source' | 'sinceWatermark'> = {}): Promise<number> {
    checkScope(orgId, table, options.source);
    const since = checkWatermark(options.sinceWatermark);
    const ref = this.#ref(orgId, table);
    const match = { o: orgId, n: { $gt: 0 }, ...sourceFilter(options.source) };
    return this.#guard(async () => {
      // Whole batches after `since`, plus the part after `since` of the batch that holds it.
      const [sum] = await ref.headers
        .aggregate<{ n: number }>([{ $match: { ...match, _id: { $gt: since } } }, { $group: { _id: null, n: { $sum: '$n' } } }])
        .toArray();
      const straddling = since > 0 ? await ref.headers.findOne({ ...match, _id: { $lte: since }, l: { $gt: since } }, { projection: { l: 1 } }) : null;
      return (sum?.n ?? 0) + (straddling ? straddling.l - since : 0);
    });
  }

  async highWatermark(orgId: string, table: string): Promise<number> {
    checkScope(orgId, table);
    return this.#guard(() => highOf(this.#ref(orgId, table), true));
  }

  async deleteOlderThan(orgId: string, before: Date, table?: string): Promise<number> {
    checkOrg(orgId);
    if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
      throw validationFailed([{ field: 'before', message: 'must be a valid date' }]);
    }
    if (table !== undefined) checkTable(table);
    return this.#guard(async () => {
      const catalogue = this.#db.collection<CatalogueDoc>(TABLES);
      const filter: Filter<CatalogueDoc> = table === undefined ? { o: orgId } : { _id: tableKey(orgId, table), o: orgId, t: table };
      let deleted = 0;
      // One table at a time, each under its writer lease: no write adds to a batch while it is judged old.
      const entries = await catalogue.find(filter, { projection: { t: 1 } }).toArray();
      for (const entry of entries) {
        const ref = this.#ref(orgId, entry.t);
        deleted += await this.#withLease(ref, async () => {
          const old = { o: orgId, i: { $lt: before } };
          const n = await sumOf(ref.headers, old);
          await ref.headers.deleteMany(old);
          await ref.data.deleteMany(old);
          return { result: n };
        });
      }
      return deleted;
    });
  }

  async deleteSource(orgId: string, table: string, source: RawSource): Promise<number> {
    checkScope(orgId, table, source);
    return this.#guard(async () => {
      const ref = this.#ref(orgId, table);
      const entry = await this.#db.collection<CatalogueDoc>(TABLES).findOne({ _id: ref.key, o: orgId, t: table }, { projection: { _id: 1 } });
      if (!entry) return 0;
      return this.#withLease(ref, async () => {
        const filter = { o: orgId, k: source.kind, s: source.id };
        const n = await sumOf(ref.headers, filter);
        // Headers first: once they are gone the batches are invisible, whatever happens to the data after.
        await ref.headers.deleteMany(filter);
        await ref.data.deleteMany(filter);
        return { result: n };
      });
    });
  }

  /**
   * Removes everything the store keeps for an organisation: its tables'
   * collections, leases and catalogue entries (what the PostgreSQL store's
   * `ON DELETE CASCADE` does when the organisation row goes). Call it once
   * the organisation is gone and nothing writes for it any more. Returns how
   * many tables were removed.
   */
  async deleteOrg(orgId: string): Promise<number> {
    checkOrg(orgId);
    return this.#guard(async () => {
      const catalogue = this.#db.collection<CatalogueDoc>(TABLES);
      const entries = await catalogue.find({ o: orgId }, { projection: { t: 1 } }).toArray();
      for (const entry of entries) {
        const ref = this.#ref(orgId, entry.t);
        await dropIfExists(ref.headers);
        await dropIfExists(ref.data);
        await this.#db.collection<LeaseDoc>(LEASES).deleteMany({ o: orgId, h: ref.key });
        this.#catalogued.delete(ref.key);
        this.#indexed.delete(ref.key);
        // The catalogue entry last: a failure half-way leaves something to find and finish.
        await catalogue.deleteOne({ _id: ref.key, o: orgId });
      }
      return entries.length;
    });
  }

  // --- writing

  /** Stores the records of `parts` the source does not have yet, under the table's lease, as one batch. */
  async #store(ref: TableRef, lease: Lease, source: RawSource, parts: readonly Part[]): Promise<Outcome<number>> {
    const fresh = await this.#dropStored(ref, lease, source, parts);
    const count = fresh.reduce((sum, part) => sum + part.records.length, 0);
    if (count === 0) return { result: 0, high: lease.base };

    const first = lease.base + 1;
    const last = lease.base + count;
    const ingestedAt = new Date();
    const header: HeaderDoc = {
      _id: first,
      o: ref.orgId,
      l: last,
      n: count,
      i: ingestedAt,
      k: source.kind,
      s: source.id,
      lo: Infinity,
      hi: 0,
      pn: [],
      plo: [],
      phi: [],
      pc: [],
      w: lease.token,
    };
    const pieces: DataDoc[] = [];
    fresh.forEach((part, index) => {
      const rowNumbers = part.records.map((r) => r.rowNumber);
      const [low, high] = rangeOf(rowNumbers);
      const slices = slicesOf(part.json);
      header.pn!.push(part.records.length);
      header.plo!.push(low);
      header.phi!.push(high);
      header.pc!.push(slices.length);
      header.lo = Math.min(header.lo!, low);
      header.hi = Math.max(header.hi!, high);
      slices.forEach((j, piece) => {
        const doc: DataDoc = { _id: pieceId(first, index, piece), o: ref.orgId, g: first, k: source.kind, s: source.id, i: ingestedAt, j };
        if (piece === 0) doc.r = encodeRuns(rowNumbers);
        pieces.push(doc);
      });
    });

    try {
      // The data first, invisible until its header exists.
      for (let start = 0; start < pieces.length; start += PIECES_PER_INSERT) {
        await this.#renew(ref, lease);
        await ref.data.insertMany(pieces.slice(start, start + PIECES_PER_INSERT), { ordered: true });
      }
      // The commit: one document, inserted or not. A duplicate key means a tombstone took this place.
      await this.#renew(ref, lease);
      await ref.headers.insertOne(header);
      return { result: count, high: last };
    } catch (error) {
      const outcome = await this.#settle(ref, lease, first).catch(() => undefined);
      if (outcome === 'committed') return { result: count, high: last };
      // Not committed: the data can go (a failure here only leaves unreachable documents, which retention removes).
      await ref.data.deleteMany({ o: ref.orgId, g: first }).catch(() => undefined);
      if (outcome === undefined) {
        lease.unsettled = true;
        throw error;
      }
      // `outcome` is the high watermark after the tombstone: release with it.
      lease.base = outcome;
      if (isDuplicateKey(error)) {
        throw new TransientError('unavailable', `The write lease on raw table "${ref.table}" was taken over while writing; nothing was stored, try again`, { cause: error });
      }
      throw error;
    }
  }

  /**
   * After a failed commit: whether the batch at `first` is committed (an
   * ambiguous network failure may have landed it), or else the high watermark
   * once a tombstone makes sure it never will be.
   */
  async #settle(ref: TableRef, lease: Lease, first: number): Promise<'committed' | number> {
    const at = await claimSlot(ref, first);
    if (at.header && at.header.w === lease.token && !at.header.t) return 'committed';
    return at.high;
  }

  /** Removes from `parts` the records whose row number the source already has (first write wins). */
  async #dropStored(ref: TableRef, lease: Lease, source: RawSource, parts: readonly Part[]): Promise<Part[]> {
    const [low, high] = rangeOf(parts.flatMap((part) => part.records.map((r) => r.rowNumber)));
    const overlapping = ref.headers.find(
      { o: ref.orgId, k: source.kind, s: source.id, n: { $gt: 0 }, lo: { $lte: high }, hi: { $gte: low } },
      { projection: { pn: 1, plo: 1, phi: 1 } },
    );
    let wanted: Set<number> | undefined;
    const have = new Set<number>();
    for await (const header of overlapping) {
      wanted ??= new Set(parts.flatMap((p) => p.records.map((r) => r.rowNumber)));
      for (let part = 0; part < header.pn!.length; part++) {
        if (header.plo![part]! > high || header.phi![part]! < low) continue;
        await this.#renew(ref, lease);
        const doc = await ref.data.findOne({ _id: pieceId(header._id, part, 0), o: ref.orgId }, { projection: { r: 1 } });
        for (const n of decodeRuns(doc?.r ?? [])) if (wanted.has(n)) have.add(n);
      }
    }
    if (have.size === 0) return [...parts];
    // A retry or an overlap: keep the first write of each row, store only the new ones.
    const out: Part[] = [];
    for (const part of parts) {
      const keep = part.records.filter((r) => !have.has(r.rowNumber));
      if (keep.length === part.records.length) out.push(part);
      else if (keep.length > 0) out.push({ records: keep, json: stringify(keep.map((r) => r.data)) });
    }
    return out;
  }

  // --- the writer lease

  /**
   * Runs `fn` holding the table's writer lease. Writers of one process queue
   * in memory first, so only one of them at a time polls the server.
   */
  async #withLease<T>(ref: TableRef, fn: (lease: Lease) => Promise<Outcome<T>>): Promise<T> {
    const previous = this.#queues.get(ref.key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    this.#queues.set(ref.key, tail);
    try {
      await previous;
      const lease = await this.#acquire(ref);
      let high = lease.base;
      try {
        const out = await fn(lease);
        high = out.high ?? lease.base;
        return out.result;
      } finally {
        // Whether a failed write landed is unknown: keep the lease, so that the next writer settles it once it expires.
        // A failed release is not the caller's problem either: the lease expires and the next writer settles it.
        if (!lease.unsettled) {
          await this.#db
            .collection<LeaseDoc>(LEASES)
            .updateOne({ _id: lease.id, token: lease.token }, { $set: { done: true, high: Math.max(high, lease.base), until: new Date() } })
            .catch(() => undefined);
        }
      }
    } finally {
      done();
      if (this.#queues.get(ref.key) === tail) this.#queues.delete(ref.key);
    }
  }

  /**
   * Takes the table's lease: inserts the next epoch's document (its `_id` is
   * unique, so of two writers exactly one gets it). FerretDB 1.x runs
   * findAndModify and updates as read-then-write, so a lease taken by
   * updating a document could be taken twice; an insert cannot.
   */
  async #acquire(ref: TableRef): Promise<Lease> {
    const leases = this.#db.collection<LeaseDoc>(LEASES);
    const deadline = Date.now() + this.#leaseWaitMs;
    for (let attempt = 0; ; attempt++) {
      const epochs = await leases.find({ o: ref.orgId, h: ref.key }, { projection: { e: 1, base: 1, until: 1, done: 1, high: 1 } }).toArray();
      const latest = epochs.reduce<LeaseDoc | undefined>((a, b) => (a && a.e > b.e ? a : b), undefined);
      let base: number;
      if (!latest) {
        base = await highOf(ref, false);
      } else if (latest.done) {
        base = latest.high ?? latest.base;
      } else if (latest.until.getTime() > Date.now()) {
        if (Date.now() > deadline) {
          throw new TransientError(
            'unavailable',
            `Raw table "${ref.table}" is busy: another writer has held it for over ${Math.round(this.#leaseWaitMs / 1000)} s; try again later`,
          );
        }
        await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
        continue;
      } else {
        // The holder stopped renewing (crashed, or cut off): make sure its batch either landed or never will.
        const slot = await claimSlot(ref, latest.base + 1);
        // Never will: what it wrote of its data is unreachable; remove it (retention would, later).
        if (!slot.header) await ref.data.deleteMany({ o: ref.orgId, g: latest.base + 1 }).catch(() => undefined);
        base = slot.high;
      }
      const epoch = (latest?.e ?? 0) + 1;
      const lease: Lease = { id: `${ref.key}:${epoch}`, token: randomUUID(), epoch, base, renewedAt: Date.now() };
      try {
        await leases.insertOne({ _id: lease.id, o: ref.orgId, h: ref.key, e: epoch, base, until: new Date(Date.now() + this.#leaseMs), token: lease.token });
      } catch (error) {
        if (isDuplicateKey(error)) continue;
        throw error;
      }
      // A writer that saw an older epoch as abandoned may have put a tombstone just above `base`: start after it,
      // and say so in the lease, which is where a writer taking it over looks for the place to fence.
      let moved = false;
      for (;;) {
        const above = await ref.headers.findOne({ _id: lease.base + 1, o: ref.orgId }, { projection: { l: 1 } });
        if (!above) break;
        lease.base = above.l;
        moved = true;
      }
      if (moved) await leases.updateOne({ _id: lease.id, token: lease.token }, { $set: { base: lease.base } });
      // Older epochs are history: clear them now and then (each write to the server costs a commit).
      if (epoch % EPOCHS_KEPT === 0) await leases.deleteMany({ o: ref.orgId, h: ref.key, e: { $lt: epoch } }).catch(() => undefined);
      return lease;
    }
  }

  /** Extends the lease when a third of it has passed, or says it was taken over (the caller then stops). */
  async #renew(ref: TableRef, lease: Lease): Promise<void> {
    if (Date.now() - lease.renewedAt < this.#leaseMs / 3) return;
    const now = Date.now();
    const leases = this.#db.collection<LeaseDoc>(LEASES);
    const later = await leases.findOne({ o: ref.orgId, h: ref.key, e: lease.epoch + 1 }, { projection: { _id: 1 } });
    const { matchedCount } = later
      ? { matchedCount: 0 }
      : await leases.updateOne({ _id: lease.id, o: ref.orgId, token: lease.token }, { $set: { until: new Date(now + this.#leaseMs) } });
    if (matchedCount === 0) {
      throw new TransientError('unavailable', `The write lease on raw table "${ref.table}" was taken over while writing; nothing was stored, try again`);
    }
    lease.renewedAt = now;
  }

  // --- tables

  #ref(orgId: string, table: string): TableRef {
    const key = tableKey(orgId, table);
    const name = collectionName(table, key);
    return { orgId, table, key, headers: this.#db.collection<HeaderDoc>(name), data: this.#db.collection<DataDoc>(`${name}.data`) };
  }

  /** The table's catalogue entry (made by its first writer). */
  async #ensureTable(orgId: string, table: string): Promise<TableRef> {
    const ref = this.#ref(orgId, table);
    if (this.#catalogued.has(ref.key)) return ref;
    const catalogue = this.#db.collection<CatalogueDoc>(TABLES);
    let entry = await catalogue.findOne({ _id: ref.key });
    if (!entry) {
      try {
        await catalogue.insertOne({ _id: ref.key, o: orgId, t: table, headers: ref.headers.collectionName, data: ref.data.collectionName, created: new Date() });
      } catch (error) {
        // Another writer registered it meanwhile.
        if (!isDuplicateKey(error)) throw error;
        entry = await catalogue.findOne({ _id: ref.key });
      }
    }
    // 128 bits of SHA-256 do not collide; if they ever did, refuse rather than share.
    if (entry && (entry.o !== orgId || entry.t !== table)) throw new AppError('internal', 'raw table key collision');
    this.#catalogued.add(ref.key);
    return ref;
  }

  /**
   * The table's indexes, made once per process. One index per command:
   * FerretDB 1.24 drops the connection (a server panic) when one
   * createIndexes command names several indexes that all exist already.
   */
  async #ensureIndexes(ref: TableRef): Promise<void> {
    if (this.#indexed.has(ref.key)) return;
    await ref.headers.createIndex({ o: 1, l: 1 }, { name: 'org_last' });
    await ref.headers.createIndex({ o: 1, k: 1, s: 1, l: 1 }, { name: 'org_source_last' });
    await ref.headers.createIndex({ o: 1, i: 1 }, { name: 'org_ingested' });
    await ref.data.createIndex({ o: 1, g: 1 }, { name: 'org_batch' });
    await ref.data.createIndex({ o: 1, k: 1, s: 1 }, { name: 'org_source' });
    await ref.data.createIndex({ o: 1, i: 1 }, { name: 'org_ingested' });
    this.#indexed.add(ref.key);
  }

  // --- errors

  /** Runs `fn`, turning a lost or refused connection into an error that says so. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.#translate(error);
    }
  }

  #translate(error: unknown, uri?: string): unknown {
    if (error instanceof AppError) return error;
    const name = (error as Error | undefined)?.name ?? '';
    const code = (error as { code?: unknown }).code;
    if (name === 'MongoServerSelectionError' || name === 'MongoNetworkError' || name === 'MongoNetworkTimeoutError' || name === 'MongoTopologyClosedError') {
      const reason = uri === undefined ? '' : `: ${redact(uri, (error as Error).message)}`;
      return new TransientError('database_unavailable', `MongoDB server unreachable at ${this.#hosts}${reason}`, { cause: error });
    }
    // 18: AuthenticationFailed; 13: Unauthorized.
    if (driver && error instanceof driver.MongoServerError && (code === 18 || code === 13)) {
      return new UserError('database_refused', `MongoDB at ${this.#hosts} refused the login or the access (${error.codeName ?? code}). Check MONGO_URI`, { cause: error });
    }
    return error;
  }
}

// --- reading helpers

/** The table's highest watermark: of stored records only, or counting tombstones (what a read or a writer starts from). */
async function highOf(ref: TableRef, recordsOnly: boolean): Promise<number> {
  const filter: Filter<HeaderDoc> = recordsOnly ? { o: ref.orgId, n: { $gt: 0 } } : { o: ref.orgId };
  const top = await ref.headers.find(filter, { projection: { l: 1 } }).sort({ l: -1 }).limit(1).toArray();
  return top[0]?.l ?? 0;
}

async function sumOf(headers: Collection<HeaderDoc>, filter: Filter<HeaderDoc>): Promise<number> {
  const [sum] = await headers.aggregate<{ n: number }>([{ $match: filter }, { $group: { _id: null, n: { $sum: '$n' } } }]).toArray();
  return sum?.n ?? 0;
}

/** One part's row numbers and data, or undefined when its batch is gone. */
async function loadPart(ref: TableRef, header: HeaderDoc, part: number): Promise<{ rowNumbers: number[]; data: unknown[] } | undefined> {
  const pieces = header.pc?.[part] ?? 1;
  let json = '';
  let rowNumbers: number[] = [];
  for (let piece = 0; piece < pieces; piece++) {
    const doc = await ref.data.findOne({ _id: pieceId(header._id, part, piece), o: ref.orgId });
    if (!doc) return undefined;
    if (piece === 0) rowNumbers = decodeRuns(doc.r ?? []);
    json += doc.j;
  }
  return { rowNumbers, data: JSON.parse(json) as unknown[] };
}

function sourceFilter(source: RawSource | undefined): { k?: RawSource['kind']; s?: string } {
  return source ? { k: source.kind, s: source.id } : {};
}

/**
 * Makes sure nothing but what is there now can ever be committed at watermark
 * `first`: inserts a tombstone there, or finds the header already there.
 * Returns that header (if one was there) and the high watermark after it.
 */
async function claimSlot(ref: TableRef, first: number): Promise<{ header?: HeaderDoc; high: number }> {
  for (;;) {
    try {
      await ref.headers.insertOne({ _id: first, o: ref.orgId, l: first, n: 0, i: new Date(), t: true });
      return { high: first };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const header = await ref.headers.findOne({ _id: first, o: ref.orgId }, { projection: { l: 1, w: 1, t: 1 } });
    // Deleted between the two (only deleteOrg does that to a header this new): try again.
    if (header) return { header, high: header.l };
  }
}

async function dropIfExists(collection: { drop(): Promise<boolean> }): Promise<void> {
  try {
    await collection.drop();
  } catch (error) {
    // 26: NamespaceNotFound.
    if ((error as { code?: unknown }).code !== 26) throw error;
  }
}

// --- layout helpers

/** The hash of (org, table) that names the table's collections and keys its catalogue entry: any org string gives a safe name. */
function tableKey(orgId: string, table: string): string {
  return createHash('sha256').update(JSON.stringify([orgId, table])).digest('hex').slice(0, 32);
}

/** `raw.<table>.<key>`: the table name (already a safe identifier) for people, the key for uniqueness. */
function collectionName(table: string, key: string): string {
  return `raw.${table}.${key}`;
}

function pieceId(first: number, part: number, piece: number): string {
  return piece === 0 ? `${first}:${part}` : `${first}:${part}.${piece}`;
}

/** The JSON of a part in slices of at most MAX_PART_CHARS, never splitting a surrogate pair. */
function slicesOf(json: string): string[] {
  if (json.length <= MAX_PART_CHARS) return [json];
  const out: string[] = [];
  for (let start = 0; start < json.length; ) {
    let end = Math.min(json.length, start + MAX_PART_CHARS);
    const code = json.charCodeAt(end - 1);
    if (end < json.length && code >= 0xd800 && code <= 0xdbff) end--;
    out.push(json.slice(start, end));
    start = end;
  }
  return out;
}

/**
 * Row numbers as runs, flattened (FerretDB 1.x stores no nested arrays):
 * `[start, length, …]`, a negative length for a descending run. Rows 1..5000
 * in order take two numbers.
 */
export function encodeRuns(rowNumbers: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < rowNumbers.length) {
    const start = rowNumbers[i]!;
    let j = i + 1;
    const step = j < rowNumbers.length && Math.abs(rowNumbers[j]! - start) === 1 ? rowNumbers[j]! - start : 0;
    if (step !== 0) while (j < rowNumbers.length && rowNumbers[j]! - rowNumbers[j - 1]! === step) j++;
    out.push(start, step < 0 ? -(j - i) : j - i);
    i = j;
  }
  return out;
}

export function decodeRuns(runs: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < runs.length; i += 2) {
    const start = runs[i]!;
    const length = runs[i + 1]!;
    const step = length < 0 ? -1 : 1;
    for (let k = 0; k < Math.abs(length); k++) out.push(start + k * step);
  }
  return out;
}

/** JSON text of the part's data; a value JSON cannot hold (a BigInt, a cycle) is the caller's mistake. */
function isDuplicateKey(error: unknown): boolean {
  if ((error as { code?: unknown })?.code === DUPLICATE_KEY) return true;
  // insertMany reports it per document.
  const writeErrors = (error as { writeErrors?: { code?: unknown }[] })?.writeErrors;
  return Array.isArray(writeErrors) && writeErrors.some((e) => e.code === DUPLICATE_KEY);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- connection strings: what may be said about one

/** The hosts of a MongoDB URI, without credentials or options: `h1:27017,h2`. */
export function hostsOf(uri: string): string {
  const rest = uri.replace(/^[a-z+]+:\/\//i, '');
  const authority = rest.split(/[/?]/, 1)[0] ?? '';
  const at = authority.lastIndexOf('@');
  return (at >= 0 ? authority.slice(at + 1) : authority) || 'an unknown host';
}

/** `message` with the URI's user info (raw and decoded) taken out. */
function redact(uri: string, message: string): string {
  const rest = uri.replace(/^[a-z+]+:\/\//i, '');
  const authority = rest.split(/[/?]/, 1)[0] ?? '';
  const at = authority.lastIndexOf('@');
  let out = message;
  if (at >= 0) {
    const userInfo = authority.slice(0, at);
    const secrets = new Set<string>([userInfo, ...userInfo.split(':')]);
    for (const secret of [...secrets]) {
      try {
        secrets.add(decodeURIComponent(secret));
      } catch {
        // Not percent-encoded correctly: the raw form is enough.
      }
    }
    for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}
