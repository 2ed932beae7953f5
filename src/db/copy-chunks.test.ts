import { describe, expect, it } from 'vitest';
import { blobCopySql, rowChunks } from './copy-chunks.js';

const decoder = new TextDecoder();

async function* from(items: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const item of items) yield item;
}

async function chunksOf(items: (string | Uint8Array)[], maxBytes: number): Promise<string[]> {
  const out: string[] = [];
  for await (const parts of rowChunks(from(items), maxBytes)) {
    // Parts may end inside a character: decode the chunk whole.
    out.push(decoder.decode(Buffer.concat(parts)));
  }
  return out;
}

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('rowChunks', () => {
  it('cuts only after a newline and keeps each chunk within the limit', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `row ${i}\t${'x'.repeat(i % 7)}\n`);
    const chunks = await chunksOf([rows.join('')], 40);
    expect(chunks.join('')).toBe(rows.join(''));
    for (const chunk of chunks) {
      expect(chunk.endsWith('\n')).toBe(true);
      expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(40);
    }
  });

  it('reassembles rows split across input pieces, in any cut', async () => {
    const next = random(7);
    for (let round = 0; round < 200; round++) {
      const rows = Array.from({ length: 1 + Math.floor(next() * 30) }, (_, i) => `${i}\té😀${'y'.repeat(Math.floor(next() * 20))}\n`);
      const text = rows.join('');
      const bytes = new TextEncoder().encode(text);
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; ) {
        const len = 1 + Math.floor(next() * 25);
        pieces.push(bytes.subarray(at, at + len));
        at += len;
      }
      const limit = 30 + Math.floor(next() * 60);
      const chunks = await chunksOf(pieces, limit);
      expect(chunks.join('')).toBe(text);
      // Every chunk holds whole rows, and only a single row may exceed the limit.
      for (const chunk of chunks) {
        expect(chunk.endsWith('\n')).toBe(true);
        if (Buffer.byteLength(chunk) > limit) expect(chunk.indexOf('\n')).toBe(chunk.length - 1);
      }
    }
  });

  it('sends a row longer than the limit alone', async () => {
    const long = `${'z'.repeat(100)}\n`;
    const chunks = await chunksOf(['a\n', 'b\n', long.slice(0, 30), long.slice(30), 'c\n'], 10);
    expect(chunks).toEqual(['a\nb\n', long, 'c\n']);
  });

  it('passes a last row without its newline', async () => {
    expect(await chunksOf(['a\nb'], 100)).toEqual(['a\nb']);
    expect(await chunksOf([], 100)).toEqual([]);
  });
});

describe('blobCopySql', () => {
  it('reads from the blob instead of STDIN', () => {
    expect(blobCopySql('COPY "s"."t" (a, b) FROM STDIN')).toBe(`COPY "s"."t" (a, b) FROM '/dev/blob'`);
    expect(blobCopySql('COPY t FROM stdin WITH (FORMAT text)')).toBe(`COPY t FROM '/dev/blob' WITH (FORMAT text)`);
  });

  it('refuses formats whose rows cannot be cut at newlines', () => {
    expect(() => blobCopySql('COPY t FROM STDIN WITH (FORMAT csv)')).toThrow(/text format only/);
    expect(() => blobCopySql('COPY t FROM STDIN (FORMAT binary)')).toThrow(/text format only/);
    expect(() => blobCopySql('COPY t TO STDOUT')).toThrow(/FROM STDIN/);
  });
});
