import { createReadStream } from 'node:fs';
import { basename } from 'node:path';

/**
 * Where a file's bytes come from: a path, or any stream of chunks (a Node
 * Readable, a web ReadableStream, an upload's multipart stream).
 */
export type FileSource = string | AsyncIterable<Uint8Array | string>;

/** Chunks of 64 KiB: big enough for the parsers' fast paths, small enough to stay out of the way. */
export const CHUNK_BYTES = 64 * 1024;

/** The sample taken before reading: at least this much, when the file has it... */
const SAMPLE_MIN_BYTES = 64 * 1024;
/** ...and more, up to SAMPLE_MAX_BYTES, until it holds this many line breaks. */
const SAMPLE_LINES = 50;
const SAMPLE_MAX_BYTES = 1024 * 1024;

const toBuffer = (chunk: Uint8Array | string): Buffer =>
  typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/** The name detection should look at: the filename given, else the path's. */
export const nameOf = (source: FileSource, filename?: string): string | undefined =>
  filename ?? (typeof source === 'string' ? basename(source) : undefined);

/**
 * The source's bytes with the first ones available up front: `sample` is
 * read before any parsing (for format and dialect detection), and `chunks()`
 * yields everything, the sample first. Only the sample is held in memory.
 */
export class PeekedSource {
  readonly sample: Buffer;
  /** Whether the sample is the whole file. */
  readonly complete: boolean;
  #head: Buffer[];
  #rest: AsyncIterator<Uint8Array | string> | null;
  #close: () => Promise<void>;

  private constructor(head: Buffer[], rest: AsyncIterator<Uint8Array | string> | null, close: () => Promise<void>) {
    this.#head = head;
    this.#rest = rest;
    this.#close = close;
    this.sample = Buffer.concat(head);
    this.complete = rest === null;
  }

  static async open(source: FileSource): Promise<PeekedSource> {
    const iterable: AsyncIterable<Uint8Array | string> =
      typeof source === 'string' ? createReadStream(source, { highWaterMark: CHUNK_BYTES }) : source;
    const iterator = iterable[Symbol.asyncIterator]();
    const close = async () => {
      await iterator.return?.();
    };
    const head: Buffer[] = [];
    let bytes = 0;
    let lines = 0;
    try {
      while (bytes < SAMPLE_MIN_BYTES || (lines < SAMPLE_LINES && bytes < SAMPLE_MAX_BYTES)) {
        const next = await iterator.next();
        if (next.done) return new PeekedSource(head, null, close);
        const chunk = toBuffer(next.value);
        if (chunk.length === 0) continue;
        head.push(chunk);
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1 && lines < SAMPLE_LINES; i = chunk.indexOf(10, i + 1)) lines += 1;
      }
    } catch (error) {
      await close().catch(() => undefined);
      throw error;
    }
    return new PeekedSource(head, iterator, close);
  }

  /** Every chunk of the source, the sample's first. Can be iterated once. */
  async *chunks(): AsyncGenerator<Buffer> {
    const head = this.#head;
    this.#head = [];
    try {
      for (const chunk of head) yield chunk;
      const rest = this.#rest;
      if (rest === null) return;
      for (;;) {
        const next = await rest.next();
        if (next.done) return;
        const chunk = toBuffer(next.value);
        if (chunk.length > 0) yield chunk;
      }
    } finally {
      await this.#close();
    }
  }

  /** Releases the source when nobody reads `chunks()`. */
  async close(): Promise<void> {
    await this.#close();
  }
}
