import { afterEach, describe, expect, it } from 'vitest';
import { csvScan, type CsvRowSink, type CsvRowSpans } from './csv.reader.js';
import { readFile, readFileWithSink, type FileBatch, type FileColumn, type ReadFileOptions } from './index.js';

/**
 * The CSV reader reads plain rows with its own scanner and leaves every
 * other row to PapaParse. Whatever the input and however it is cut into
 * chunks, the result must be what PapaParse alone gives: the same records,
 * the same rejected rows with the same reasons, the same summary.
 */

/** Deterministic pseudo-random numbers (xorshift). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

// Cells PapaParse reads plainly...
const GOOD = ['', '42', '-7', '3.14', 'plain text', 'café 東京 😀', '"quoted, with comma"', '"with ""doubled"" quotes"', '"line\nbreak"', '"crlf\r\ninside"', '""', '""""', '"tab\there"', 'back\\slash'];
// ...and cells that are trouble, or that only PapaParse reads (the scanner leaves their rows to it).
const BAD = ['a"b', '"closed" trailing', '"spaced" ', ' "lead"', 'cr\rmid', '"cr after"\r', '12abc', '2024-02-30', "'single'", '"', 'x\r'];

/** A CSV text of `rows` rows, mostly well formed, with every kind of trouble now and then. */
function generate(seed: number, rows: number, lineBreak: string): string {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const cell = (): string => (next() < 0.01 ? pick(BAD) : pick(GOOD));
  const lines = ['id,name,amount,note'];
  for (let i = 1; i <= rows; i++) {
    const r = next();
    let fields = [String(i), cell(), cell(), cell()];
    if (r < 0.005) fields = fields.slice(0, 3); // ragged: too few
    else if (r < 0.01) fields.push('extra'); // ragged: too many
    else if (r < 0.015) fields = ['']; // a blank line
    else if (r < 0.017) fields = ['  ']; // a line of spaces
    lines.push(fields.join(','));
    if (r > 0.9995) lines.push('"never closed, runs on'); // an unclosed quote swallows what follows
  }
  return lines.join(lineBreak) + (next() < 0.5 ? lineBreak : '');
}

/** The bytes of `text`, handed out in pieces of random sizes (1 byte to 40 KiB). */
async function* pieces(bytes: Buffer, seed: number): AsyncGenerator<Buffer> {
  const next = random(seed);
  for (let at = 0; at < bytes.length; ) {
    const size = next() < 0.3 ? 1 + Math.floor(next() * 16) : 1 + Math.floor(next() * 40_000);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** A sink that takes no row: the scanner runs, and makes the records itself. */
const declining: CsvRowSink = { begin: () => true, row: () => false };

async function readAll(bytes: Buffer, seed: number, options: ReadFileOptions, scan: boolean, sink: CsvRowSink | undefined = scan ? declining : undefined) {
  csvScan.enabled = scan;
  const reader = sink ? readFileWithSink(pieces(bytes, seed), options, sink) : readFile(pieces(bytes, seed), options);
  const batches: FileBatch[] = [];
  let error: unknown;
  try {
    for await (const batch of reader) batches.push(batch);
  } catch (e) {
    error = e;
  }
  const { complete: _complete, ...summary } = reader.summary;
  return {
    records: batches.flatMap((b) => b.records),
    rejected: batches.flatMap((b) => b.rejected),
    summary,
    error: error === undefined ? undefined : String(error),
  };
}

afterEach(() => {
  csvScan.enabled = true;
});

describe('CSV reader: its scanner of plain rows and PapaParse agree', () => {
  it('on generated files with bad rows, LF and CRLF, cut anywhere', async () => {
    for (let seed = 1; seed <= 24; seed++) {
      const text = generate(seed, 3000, seed % 3 === 0 ? '\r\n' : '\n');
      const bytes = Buffer.from(text, 'utf8');
      for (const options of [{ format: 'csv' as const }, { format: 'csv' as const, quotedEmpty: 'empty' as const, batchSize: 7 }]) {
        const papa = await readAll(bytes, seed, options, false);
        const scanned = await readAll(bytes, seed * 7, options, true);
        expect(scanned, `seed ${seed} ${JSON.stringify(options)}`).toEqual(papa);
      }
    }
  });

  it('on bytes that are not UTF-8, a BOM and tab-separated files', async () => {
    const bad = Buffer.concat([
      Buffer.from('\uFEFFid\tname\tnote\n1\tok\tfine\n2\t', 'utf8'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\tx\n3\t"quoted\ttab"\ty\n4\tcafé\t"a ""b"""\n', 'utf8'),
    ]);
    for (let seed = 1; seed <= 10; seed++) {
      const papa = await readAll(bad, seed, { format: 'tsv' }, false);
      expect(await readAll(bad, seed + 100, { format: 'tsv' }, true)).toEqual(papa);
    }
  });

  it('is not used without a sink: readFile is PapaParse alone', async () => {
    const bytes = Buffer.from(generate(9, 500, '\n'), 'utf8');
    expect(await readAll(bytes, 1, { format: 'csv' }, true, undefined)).toEqual(await readAll(bytes, 2, { format: 'csv' }, false));
  });

  it('hands a sink the rows PapaParse would make records of, with the same values', async () => {
    const text = generate(5, 3000, '\n');
    const bytes = Buffer.from(text, 'utf8');
    const papa = await readAll(bytes, 1, { format: 'csv', quotedEmpty: 'empty' }, false);
    let names: string[] = [];
    const taken: { rowNumber: number; data: Record<string, unknown> }[] = [];
    const sink: CsvRowSink = {
      begin(columns: readonly FileColumn[]) {
        names = columns.map((c) => c.name);
        return true;
      },
      row(spans: CsvRowSpans, rowNumber: number) {
        // Takes every other row, rebuilding the record from the spans as documented.
        if (rowNumber % 2 === 0) return false;
        const data: Record<string, unknown> = {};
        names.forEach((name, i) => {
          const [from, to, kind] = [spans.starts[i]!, spans.ends[i]!, spans.kinds[i]!];
          const value = spans.text.slice(from, to);
          data[name] = from === to && kind === 0 ? null : kind === 2 ? value.replaceAll('""', '"') : value;
        });
        taken.push({ rowNumber, data });
        return true;
      },
    };
    const withSink = await readAll(bytes, 3, { format: 'csv', quotedEmpty: 'empty' }, true, sink);
    expect(taken.length).toBeGreaterThan(500);
    expect([...withSink.records, ...taken].sort((a, b) => a.rowNumber - b.rowNumber)).toEqual(papa.records);
    expect(withSink.rejected).toEqual(papa.rejected);
    expect(withSink.summary).toEqual(papa.summary);
  });
});
