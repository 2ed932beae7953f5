import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { CopyBytes } from './copy-bytes.js';
import { rejectedLine, safeCopyText, type RowEncoder } from './copy-text.js';
import type { EncodedBatch, LoadBatch } from './warehouse.schema.js';

/**
 * Batches → COPY text, for the loaded rows and for the rejected ones.
 *
 * The text goes to a writer: straight into a running `COPY … FROM STDIN`
 * (on a server), or into a spool file that is copied from afterwards (on
 * the embedded database; see Spool).
 */

/** Bytes of COPY text handed on at a time. */
const CHUNK_BYTES = 128 * 1024;
/** Rejected rows held before they are written (ending the running COPY for a moment). */
const REJECTED_FLUSH_ROWS = 10_000;
const REJECTED_FLUSH_CHARS = 8 * 1024 * 1024;
/** `_sluice_row_number` is an integer column. */
const MAX_ROW_NUMBER = 2 ** 31 - 1;

/** Takes COPY text; returns the rows written when it knows them (a COPY does, a spool file does not). */
export type TextWriter = (text: AsyncIterable<string | Uint8Array>) => Promise<number | null>;

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

const validRowNumber = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_ROW_NUMBER;

/** Rejected rows waiting to be written together. */
export class RejectedSink {
  readonly #write: TextWriter;
  readonly #prefix: string;
  #lines = '';
  #pending = 0;
  /** Every rejected row of the load so far. */
  total = 0;

  constructor(write: TextWriter, runId: string, sourceId: string) {
    this.#write = write;
    this.#prefix = `${safeCopyText(runId)}\t${safeCopyText(sourceId)}\t`;
  }

  add(raw: unknown, field: string | null, reason: string, rowNumber: number | null | undefined): void {
    this.#lines += rejectedLine(raw, field, reason, this.#prefix, rowNumber);
    this.#pending++;
    this.total++;
  }

  get full(): boolean {
    return this.#pending >= REJECTED_FLUSH_ROWS || this.#lines.length >= REJECTED_FLUSH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.#pending === 0) return;
    const lines = this.#lines;
    const expected = this.#pending;
    this.#lines = '';
    this.#pending = 0;
    const written = await this.#write(once(lines));
    if (written !== null && written !== expected) throw new Error(`wrote ${written} rejected rows instead of ${expected}`);
  }
}

/**
 * Pulls batches and turns them into COPY text, a segment at a time: a
 * segment ends when the input does, or when enough rejected rows have piled
 * up to be written (a connection runs one COPY at a time).
 */
export class BatchFeed {
  readonly #input: AsyncIterator<EncodedBatch>;
  readonly #encoder: RowEncoder;
  readonly #rejects: RejectedSink;
  #batch: LoadBatch | null = null;
  #index = 0;
  #ordinal = 0;
  #done = false;
  /** Rows and rejected rows the batches carried. */
  received = 0;
  /** Rows turned into COPY lines. */
  encoded = 0;

  constructor(input: AsyncIterable<EncodedBatch>, encoder: RowEncoder, rejects: RejectedSink) {
    this.#input = input[Symbol.asyncIterator]();
    this.#encoder = encoder;
    this.#rejects = rejects;
  }

  /**
   * Writes every row with `write` (once per segment) and every rejected row
   * with the sink's writer; returns the rows `write` reported, or null.
   */
  async run(write: TextWriter): Promise<number | null> {
    let written: number | null = 0;
    try {
      while (!this.#done) {
        const segment = this.#segment();
        const first = await segment.next();
        if (!first.done) {
          const n = await write(prepend(first.value, segment));
          written = written === null || n === null ? null : written + n;
        }
        await this.#rejects.flush();
      }
    } finally {
      // Stopped early by a failure: let the source close its file or connection.
      if (!this.#done) await this.#input.return?.().catch(() => undefined);
    }
    if (written !== null && written !== this.encoded) throw new Error(`COPY stored ${written} rows of the ${this.encoded} sent`);
    return written;
  }

  #take(batch: EncodedBatch): void {
    if (!Array.isArray(batch?.rows) || !Array.isArray(batch.rejected)) throw new Error('a load batch needs rows and rejected arrays');
    const copied = batch.copy?.rows ?? 0;
    if (!Number.isInteger(copied) || copied < 0) throw new Error('copy.rows must count the lines of copy.chunks');
    const numbers = batch.rowNumbers;
    if (numbers !== undefined && (numbers.length !== batch.rows.length || !numbers.every(validRowNumber))) {
      throw new Error('rowNumbers must hold one row number (0 to 2^31-1) per row');
    }
    this.#batch = batch;
    this.#index = 0;
    this.received += batch.rows.length + batch.rejected.length + copied;
    for (const r of batch.rejected) {
      this.#rejects.add(r.raw, r.field ?? null, String(r.reason), validRowNumber(r.rowNumber) ? r.rowNumber : null);
    }
  }

  async *#segment(): AsyncGenerator<Uint8Array> {
    const out = new CopyBytes(CHUNK_BYTES);
    const encoder = this.#encoder;
    const rejects = this.#rejects;
    for (;;) {
      if (this.#batch === null) {
        const next = await this.#input.next();
        if (next.done) {
          this.#done = true;
          break;
        }
        this.#take(next.value);
        const copy = next.value.copy;
        if (copy !== undefined && copy.rows > 0) {
          // Lines written for this load already: sent as they are, after the rows encoded before them.
          this.#ordinal += copy.rows;
          if (this.#ordinal > MAX_ROW_NUMBER) throw new Error('a load holds at most 2^31-1 rows');
          if (out.size > 0) yield* out.take();
          yield* copy.chunks;
          this.encoded += copy.rows;
        }
      }
      const batch = this.#batch!;
      const rows = batch.rows;
      const numbers = batch.rowNumbers;
      while (this.#index < rows.length && !rejects.full) {
        const i = this.#index++;
        this.#ordinal++;
        if (this.#ordinal > MAX_ROW_NUMBER) throw new Error('a load holds at most 2^31-1 rows');
        const rowNumber = numbers === undefined ? this.#ordinal : numbers[i]!;
        const row = rows[i]!;
        if (encoder.encodeInto(out, row, rowNumber)) {
          this.encoded++;
          if (out.full) yield* out.take();
        } else {
          rejects.add(row, encoder.field, encoder.reason, rowNumber);
        }
      }
      if (this.#index >= rows.length) this.#batch = null;
      if (rejects.full) break;
    }
    if (out.size > 0) yield* out.take();
  }
}

/** Appends text to a file stream, waiting when its buffer is full. */
async function append(stream: WriteStream, text: AsyncIterable<string | Uint8Array>): Promise<null> {
  for await (const chunk of text) {
    if (stream.errored) throw stream.errored;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        stream.once('error', onError);
        stream.once('drain', () => {
          stream.off('error', onError);
          resolve();
        });
      });
    }
  }
  return null;
}

function close(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.errored) return reject(stream.errored);
    stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

/**
 * The embedded database runs one thing at a time: while a transaction is
 * open, any other query waits for it. A load whose batches come from that
 * same database (raw → typed, reading the raw store) would wait forever on
 * itself. So on PGlite the batches are first encoded to COPY text in two
 * files (rows and rejected rows), with no transaction open, and the
 * transaction then copies from the files in bounded chunks. Memory stays
 * flat; the disk holds the text until the load ends.
 */
export class Spool {
  readonly dir: string;
  readonly #rows: WriteStream;
  readonly #rejected: WriteStream;

  private constructor(dir: string) {
    this.dir = dir;
    this.#rows = createWriteStream(path.join(dir, 'rows.copy'));
    this.#rejected = createWriteStream(path.join(dir, 'rejected.copy'));
    // Errors surface through append/close; without listeners they would crash the process.
    this.#rows.on('error', () => undefined);
    this.#rejected.on('error', () => undefined);
  }

  static async create(parent: string): Promise<Spool> {
    // The spool directory (under the data directory by default) may not exist yet on a fresh install.
    await mkdir(parent, { recursive: true, mode: 0o700 });
    return new Spool(await mkdtemp(path.join(parent, 'sluice-load-')));
  }

  readonly writeRows: TextWriter = (text) => append(this.#rows, text);
  readonly writeRejected: TextWriter = (text) => append(this.#rejected, text);

  /** Flushes both files; call before reading them. */
  async finish(): Promise<void> {
    await Promise.all([close(this.#rows), close(this.#rejected)]);
  }

  rows(): AsyncIterable<Buffer> {
    return createReadStream(path.join(this.dir, 'rows.copy'));
  }

  rejected(): AsyncIterable<Buffer> {
    return createReadStream(path.join(this.dir, 'rejected.copy'));
  }

  async remove(): Promise<void> {
    this.#rows.destroy();
    this.#rejected.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Runs work for one key at a time (the embedded database's loads of one table), in call order. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
