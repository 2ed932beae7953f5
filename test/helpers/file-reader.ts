import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { readFile, type FileBatch, type ReadFileOptions } from '../../src/connectors/file/index.js';
import type { FileSource } from '../../src/connectors/file/source.js';

/** Helpers shared by the file reader tests. */

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/files/${name}`, import.meta.url));

/** The bytes as a stream cut into pieces of `size` bytes, as a socket or a disk would deliver them. */
export const pieces = (bytes: Buffer | string, size = 64 * 1024): Readable => {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return Readable.from(out);
};

/** Reads everything; an error at the end is returned beside what was read before it (null when none). */
export async function readAll(source: FileSource, options: ReadFileOptions = {}) {
  const reader = readFile(source, options);
  const batches: FileBatch[] = [];
  let error: unknown = null;
  try {
    for await (const batch of reader) batches.push(batch);
  } catch (e) {
    error = e;
  }
  return {
    batches,
    records: batches.flatMap((b) => b.records),
    rejected: batches.flatMap((b) => b.rejected),
    summary: reader.summary,
    error: error as { code?: string; message: string; details?: unknown } | null,
  };
}
