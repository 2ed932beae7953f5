import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readFile, type FileBatch, type ReadFileOptions } from './index.js';
import type { FileSource } from './source.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/files/${name}`, import.meta.url));

const pieces = (bytes: Buffer | string, size = 64 * 1024): Readable => {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return Readable.from(out);
};

/** Reads everything; an error at the end is returned beside what was read before it. */
async function readAll(source: FileSource, options: ReadFileOptions = {}) {
  const reader = readFile(source, options);
  const batches: FileBatch[] = [];
  let error: unknown = null;
  try {
    for await (const batch of reader) batches.push(batch);
  } catch (e) {
    error = e;
  }
  return {
    records: batches.flatMap((b) => b.records),
    rejected: batches.flatMap((b) => b.rejected),
    summary: reader.summary,
    error: error as { code?: string; message: string; details?: unknown } | null,
  };
}

describe('NDJSON reader', () => {
  it('reads one object per line, skipping blank lines and rejecting the rest with the line number', async () => {
    const { records, rejected, summary } = await readAll(fixture('events.ndjson'));
    expect(records).toEqual([
      { rowNumber: 1, data: { event: 'open', at: '2024-01-01T10:00:00Z' } },
      { rowNumber: 2, data: { event: 'click', at: '2024-01-01T10:00:05Z', x: 3 } },
      { rowNumber: 5, data: { event: 'close', at: '2024-01-01T10:01:00Z' } },
    ]);
    expect(rejected).toEqual([
      { rowNumber: 3, raw: '{"event":"broken"', field: null, reason: expect.stringMatching(/^line 4 is not valid JSON: /) },
      { rowNumber: 4, raw: [1, 2], field: null, reason: 'line 5 is an array, not an object' },
    ]);
    expect(summary).toMatchObject({ format: 'ndjson', blankLines: 1, rowsRead: 5, records: 3, rejected: 2 });
  });

  it('reads CRLF lines, a BOM and a last line without a line break, however the bytes are cut', async () => {
    const text = '\uFEFF{"a":"é"}\r\n\r\n{"a":"😀"}\r\n{"a":3}';
    for (const size of [1, 3, 64]) {
      const { records, summary } = await readAll(pieces(text, size), { filename: 'x.ndjson' });
      expect(records.map((r) => r.data)).toEqual([{ a: 'é' }, { a: '😀' }, { a: 3 }]);
      expect(summary).toMatchObject({ bom: true, blankLines: 1 });
    }
  });
});
