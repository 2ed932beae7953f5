import { isUtf8 } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { random } from '../../../test/helpers/random.js';
import { csvScan, type CsvRowSink, type CsvRowSpans } from './csv.reader.js';
import { readFile, readFileWithSink, type FileBatch, type FileColumn, type ReadFileOptions } from './index.js';

/**
 * The CSV reader reads plain rows with its own scanner and leaves every
 * other row to PapaParse. Whatever the input and however it is cut into
 * chunks, the result must be what PapaParse alone gives: the same records,
 * the same rejected rows with the same reasons, the same summary.
 */

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

/** The bytes, cut at the given offsets. */
async function* cutAt(bytes: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

/**
 * The offsets where a cut is most awkward for the scanner: inside a
 * multi-byte character (before each continuation byte), and inside a quoted
 * field (after its opening quote, between doubled quotes, before and after
 * its closing quote, between a CR and its LF).
 */
function awkwardCuts(bytes: Buffer): number[] {
  const cuts: number[] = [];
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x80 && b < 0xc0) cuts.push(i);
    else if (b === 0x22) {
      quoted = !quoted;
      cuts.push(i, i + 1);
    } else if (quoted || (b === 10 && bytes[i - 1] === 13)) cuts.push(i);
  }
  return cuts;
}

/** A sink that takes no row: the scanner runs, and makes the records itself. */
const declining: CsvRowSink = { begin: () => true, row: () => false };

/** A sink taking every other row, whose records it rebuilds from the spans as documented (into `taken`). */
function rebuilding(quote = '"') {
  let names: string[] = [];
  const taken: { rowNumber: number; data: Record<string, unknown> }[] = [];
  const sink: CsvRowSink = {
    begin(columns: readonly FileColumn[]) {
      names = columns.map((c) => c.name);
      return true;
    },
    row(spans: CsvRowSpans, rowNumber: number) {
      if (rowNumber % 2 === 0) return false;
      const data: Record<string, unknown> = {};
      names.forEach((name, i) => {
        const [from, to, kind] = [spans.starts[i]!, spans.ends[i]!, spans.kinds[i]!];
        // Offsets into the bytes, which must be whole characters of valid UTF-8.
        const field = spans.bytes.subarray(from, to);
        expect(isUtf8(field)).toBe(true);
        const value = field.toString('utf8');
        data[name] = from === to && kind === 0 ? null : kind === 2 ? value.replaceAll(quote + quote, quote) : value;
      });
      taken.push({ rowNumber, data });
      return true;
    },
  };
  return { sink, taken };
}

/** How a file is cut into chunks: a seed for `pieces`, or the offsets to cut at (`[]`: one piece). */
type Chunking = number | readonly number[];
const chunks = (bytes: Buffer, chunking: Chunking): AsyncGenerator<Buffer> =>
  typeof chunking === 'number' ? pieces(bytes, chunking) : cutAt(bytes, chunking);

async function readAll(bytes: Buffer, chunking: Chunking, options: ReadFileOptions, scan: boolean, sink: CsvRowSink | undefined = scan ? declining : undefined) {
  csvScan.enabled = scan;
  const reader = sink ? readFileWithSink(chunks(bytes, chunking), options, sink) : readFile(chunks(bytes, chunking), options);
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
    const { sink, taken } = rebuilding();
    const withSink = await readAll(bytes, 3, { format: 'csv', quotedEmpty: 'empty' }, true, sink);
    expect(taken.length).toBeGreaterThan(500);
    expect([...withSink.records, ...taken].sort((a, b) => a.rowNumber - b.rowNumber)).toEqual(papa.records);
    expect(withSink.rejected).toEqual(papa.rejected);
    expect(withSink.summary).toEqual(papa.summary);
  });

  /** PapaParse alone on `bytes` in one piece, against the scanner on every chunking given, with a sink declining rows and one taking them. */
  async function expectSame(bytes: Buffer, options: ReadFileOptions, chunkings: readonly Chunking[], minTaken = 1) {
    const papa = await readAll(bytes, [], options, false);
    for (const chunking of chunkings) {
      const label = `${JSON.stringify(options)} cut at ${JSON.stringify(chunking)}`;
      expect(await readAll(bytes, chunking, options, true), label).toEqual(papa);
      const { sink, taken } = rebuilding(options.quote);
      const withSink = await readAll(bytes, chunking, options, true, sink);
      expect(taken.length, label).toBeGreaterThanOrEqual(minTaken);
      expect({ ...withSink, records: [...withSink.records, ...taken].sort((a, b) => a.rowNumber - b.rowNumber) }, label).toEqual(papa);
    }
  }

  it('however a file is cut: inside multi-byte characters, inside quoted fields, between CR and LF', async () => {
    const text =
      'id,name,note\r\n' +
      '1,café,"東京, ""quoted"""\r\n' +
      '2,"😀 emoji\nnext line",\r\n' +
      '3,"","naïve ""x"""\n' +
      '4,Zürich,"a\r\nb"\n' +
      '5,"",""""\r\n' +
      '6,ok,€\n';
    const bytes = Buffer.from(text, 'utf8');
    // Every single cut, then every pair of awkward cuts.
    const singles = Array.from({ length: bytes.length - 1 }, (_, i) => [i + 1]);
    const awkward = awkwardCuts(bytes);
    const pairs = awkward.flatMap((a, k) => awkward.slice(k + 1).map((b) => [a, b]));
    for (const options of [{ format: 'csv' as const }, { format: 'csv' as const, quotedEmpty: 'empty' as const }]) {
      await expectSame(bytes, options, [...singles, ...pairs]);
    }
  });

  it('on generated files cut at awkward places only', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const bytes = Buffer.from(generate(seed, 2000, seed % 2 === 0 ? '\r\n' : '\n'), 'utf8');
      const next = random(seed);
      const awkward = awkwardCuts(bytes);
      // About a cut every 1 KiB on average.
      const share = bytes.length / 1024 / awkward.length;
      const cuts = awkward.filter(() => next() < share);
      await expectSame(bytes, { format: 'csv' }, [cuts], 100);
    }
  });

  it('on bytes that are not UTF-8 after plain rows, with the scanner under way', async () => {
    const plain = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `${from + i},"café ${from + i}, ""x""",東京 ${from + i}\n`).join('');
    const bytes = Buffer.concat([
      Buffer.from(`id,name,note\n${plain(1, 200)}`, 'utf8'),
      Buffer.from('200,bad '),
      Buffer.from([0xff]), // not UTF-8 in an unquoted field
      Buffer.from(',x\n201,"quoted '),
      Buffer.from([0xe2, 0x82]), // a character cut short, in a quoted field
      Buffer.from('",y\n', 'utf8'),
      Buffer.from(`${plain(202, 398)}398,ragged\n399,ok,"fine"\n`, 'utf8'),
      Buffer.from([0xc3, 0x28]), // an invalid pair starting a row, after one PapaParse reads
      Buffer.from(`,a,b\n${plain(401, 500)}`, 'utf8'),
      Buffer.from('500,end,'),
      Buffer.from([0xf0, 0x9f, 0x98]), // the file ends inside a character
    ]);
    const papa = await readAll(bytes, [], { format: 'csv' }, false);
    expect(papa.rejected.map((r) => r.rowNumber)).toEqual([200, 201, 398, 400, 500]);
    expect(papa.summary.invalidUtf8Rows).toBe(4);
    const next = random(11);
    const awkward = awkwardCuts(bytes);
    const chunkings: Chunking[] = [1, 2, 3, 4, 5, 6];
    // Cuts inside the bad bytes, and just before and after them.
    for (const at of [bytes.indexOf(0xff), bytes.indexOf(Buffer.from([0xe2, 0x82])), bytes.indexOf(Buffer.from([0xc3, 0x28])), bytes.length - 2]) {
      for (let d = -2; d <= 4; d++) chunkings.push([at + d], [at + d, at + d + 1 + Math.floor(next() * 3)]);
    }
    chunkings.push(awkward.filter(() => next() < 0.05));
    await expectSame(bytes, { format: 'csv' }, chunkings, 100);
  });

  it('on a file starting with a BOM, cut inside it', async () => {
    const bytes = Buffer.from('\uFEFFid;name\n1;é\n2;"a;b"\n3;東京\n', 'utf8');
    const papa = await readAll(bytes, [], { format: 'csv' }, false);
    expect(papa.summary.bom).toBe(true);
    expect(papa.summary.columns!.map((c) => c.name)).toEqual(['id', 'name']);
    await expectSame(bytes, { format: 'csv' }, [[1], [2], [3], [1, 2], [1, 2, 3, 4], [2, 5], [4], [...awkwardCuts(bytes)]]);
  });

  it('on long rows PapaParse reads between the scanner\'s', async () => {
    const plain = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${from + i},é ${i},"q ""${i}"""\n`).join('');
    const text =
      `id,a,b\n${plain(1, 100)}` +
      `100,${'é'.repeat(20_000)},x,too many\n` + // ragged, and longer than PapaParse's first window
      `${plain(101, 150)}` +
      `150,${'a'.repeat(50_000)}\r${'b'.repeat(9)},"quoted\n${'東'.repeat(10_000)}"\n` + // a CR inside: a record PapaParse reads
      `${plain(151, 200)}`;
    const bytes = Buffer.from(text, 'utf8');
    await expectSame(bytes, { format: 'csv' }, [[], 1, 2, 3, [300, 5000, 70_000, 150_000]], 50);
  });

  it('on rows longer than maxRowBytes, the same chunks either way', async () => {
    const long = 'x'.repeat(1500);
    const text = `id,a,b\n1,ok,fine\n2,${long},y\n3,"${long}\n${long}",z\n4,"never closed,${long}\n${long}\n5,back,on\n6,é,"${'ü'.repeat(600)}"\n7,last,row\n`;
    const bytes = Buffer.from(text, 'utf8');
    for (const seed of [1, 2, 3, 4]) {
      const options = { format: 'csv' as const, maxRowBytes: 1024 };
      const papa = await readAll(bytes, seed, options, false);
      expect(papa.rejected.length).toBeGreaterThan(2);
      expect(await readAll(bytes, seed, options, true)).toEqual(papa);
    }
  });
});
