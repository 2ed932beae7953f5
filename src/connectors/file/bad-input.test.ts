import { describe, expect, it } from 'vitest';
import { createMapper } from '../../mapping/index.js';
import { sampleSchema, type ReadFileOptions } from './index.js';
import type { FileSource } from './source.js';
import { fixture, pieces, readAll as readEverything } from '../../../test/helpers/file-reader.js';

/**
 * Item 5 of issue 4: every kind of bad input ends as rejected rows with a
 * reason, or as one clear error when nothing (more) can be read. Never a
 * crash, never a row dropped without a trace: rowsRead = records + rejected.
 */

const MiB = 1024 * 1024;


/** The shared readAll, plus the invariant every case keeps. */
async function readAll(source: FileSource, options: ReadFileOptions = {}) {
  const { records, rejected, summary, error } = await readEverything(source, options);
  // The invariant every case keeps: each row is a record or a rejection, numbered once.
  expect(summary.rowsRead).toBe(summary.records + summary.rejected);
  expect(records.length).toBe(summary.records);
  expect(rejected.length).toBe(summary.rejected);
  expect([...records, ...rejected].map((r) => r.rowNumber).sort((a, b) => a - b)).toEqual(
    Array.from({ length: summary.rowsRead }, (_, i) => i + 1),
  );
  return { records, rejected, summary, error };
}

describe('bad input: empty files', () => {
  it.each([
    ['an empty CSV', fixture('empty.csv'), {}],
    ['an empty file of a given format', fixture('empty.csv'), { format: 'json' as const }],
    ['a file of blank lines', fixture('blank-lines.csv'), {}],
    ['a BOM alone', pieces(Buffer.from([0xef, 0xbb, 0xbf])), { filename: 'x.csv' }],
  ])('%s is a file_empty error saying so', async (_name, source, options) => {
    const { error, summary } = await readAll(source, options);
    expect(error).toMatchObject({ code: 'file_empty', message: expect.stringMatching(/^The file is empty/) });
    expect(summary.rowsRead).toBe(0);
  });

  it('a CSV with a header and no rows reads zero rows and says so: not an error', async () => {
    const { error, records, summary } = await readAll(fixture('header-only.csv'));
    expect(error).toBeNull();
    expect(records).toEqual([]);
    expect(summary).toMatchObject({ rowsRead: 0, hasHeader: true, complete: true, notes: ['The file has a header but no data rows.'] });
    expect(summary.columns!.map((c) => c.name)).toEqual(['id', 'name', 'email']);
  });
});

describe('bad input: ragged rows', () => {
  it('rejects a row with more or fewer fields than the header, never padding or cutting it', async () => {
    const { records, rejected } = await readAll(fixture('ragged.csv'));
    expect(records.map((r) => [r.rowNumber, r.data])).toEqual([
      [1, { a: '1', b: '2', c: '3', d: '4' }],
      [4, { a: '5', b: '6', c: '7', d: '8' }],
    ]);
    expect(rejected).toEqual([
      { rowNumber: 2, raw: '1,2,3,4,5', field: null, reason: 'has 5 fields, the header has 4' },
      { rowNumber: 3, raw: '1,2,3', field: null, reason: 'has 3 fields, the header has 4' },
    ]);
  });

  it('compares with the first rows when there is no header', async () => {
    const { rejected } = await readAll(pieces('1,2\n3,4\n5\n6,7\n'), { filename: 'x.csv', hasHeader: false });
    expect(rejected).toEqual([{ rowNumber: 3, raw: '5', field: null, reason: 'has 1 field, the first rows have 2' }]);
  });
});

describe('bad input: quotes', () => {
  it('rejects the row whose quote is never closed, keeping the rows before it', async () => {
    const { records, rejected, error } = await readAll(fixture('unclosed-quote.csv'));
    expect(error).toBeNull();
    expect(records.map((r) => r.data)).toEqual([{ id: '1', text: 'fine' }]);
    expect(rejected).toEqual([
      {
        rowNumber: 2,
        raw: '2,"never closed\n3,swallowed',
        field: null,
        reason: 'has a quoted field that is never closed: the file ends inside it',
      },
    ]);
  });

  it('rejects a row whose closing quote is followed by text', async () => {
    const { records, rejected } = await readAll(pieces('a,b\n1,"x"y\n2,"z"\n'), { filename: 'x.csv' });
    expect(records).toEqual([]);
    expect(rejected).toEqual([
      {
        rowNumber: 1,
        raw: '1,"x"y\n2,"z"',
        field: null,
        reason: 'has a quoted field whose closing quote is followed by text (write a quote inside quotes as "")',
      },
    ]);
  });

  it('fails with file_malformed when the header itself opens a quote that never closes', async () => {
    const { error, summary } = await readAll(pieces('"id,name\n1,2\n3,4\n'), { filename: 'x.csv' });
    expect(error).toMatchObject({ code: 'file_malformed', message: expect.stringMatching(/header row has a quoted field/) });
    expect(summary.rowsRead).toBe(0);
  });

  it('bounds an unclosed quote in a large file by maxRowBytes, then reads on from the next line', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `${i},text ${i}`).join('\n');
    const text = `id,text\n1,"opens and never closes\n${rows}\n`;
    const { records, rejected, error } = await readAll(pieces(text, 4096), { filename: 'x.csv', maxRowBytes: 64 * 1024 });
    expect(error).toBeNull();
    expect(rejected[0]).toMatchObject({
      rowNumber: 1,
      field: null,
      reason: 'is longer than 64 KiB (maxRowBytes): a quote may be missing its closing quote; the reader skipped to the next line break',
    });
    expect((rejected[0]!.raw as string).startsWith('1,"opens and never closes\n0,text 0\n')).toBe(true);
    // The rows after the skipped stretch are read again.
    expect(records.at(-1)!.data).toEqual({ id: '39999', text: 'text 39999' });
    expect(records.length).toBeGreaterThan(30_000);
  });
});

describe('bad input: invalid UTF-8', () => {
  it('rejects the rows holding bytes that are not UTF-8, naming the bytes and where they are', async () => {
    const { records, rejected, summary } = await readAll(fixture('invalid-utf8.csv'));
    expect(records.map((r) => [r.rowNumber, r.data])).toEqual([
      [1, { id: '1', name: 'ok' }],
      [3, { id: '3', name: 'fine' }],
    ]);
    expect(rejected).toEqual([
      { rowNumber: 2, raw: '2,caf\uFFFD', field: null, reason: 'row is not valid UTF-8: byte e9 at byte offset 18; save the file as UTF-8' },
      { rowNumber: 4, raw: '4,\uFFFD', field: null, reason: 'row is not valid UTF-8: byte c3 at byte offset 29; save the file as UTF-8' },
    ]);
    expect(summary.invalidUtf8Rows).toBe(2);
  });

  it('finds the same rows whatever the chunking', async () => {
    const bytes = Buffer.concat([Buffer.from('id,v\n1,é\n2,'), Buffer.from([0xe2, 0x82]), Buffer.from('\n3,€\n4,\uFFFD\n')]);
    for (const size of [1, 2, 3, 64]) {
      const { records, rejected } = await readAll(pieces(bytes, size), { filename: 'x.csv' });
      expect(records.map((r) => r.data.v)).toEqual(['é', '€', '\uFFFD']);
      expect(rejected.map((r) => [r.rowNumber, r.reason])).toEqual([[2, 'row is not valid UTF-8: bytes e2 82 at byte offset 12; save the file as UTF-8']]);
    }
  });

  it('rejects an NDJSON line and a JSON element with bad bytes; outside a string it is a syntax error', async () => {
    const nd = await readAll(pieces(Buffer.concat([Buffer.from('{"a":1}\n{"a":"'), Buffer.from([0xff]), Buffer.from('"}\n{"a":3}\n')])), {
      filename: 'x.ndjson',
    });
    expect(nd.records.map((r) => r.data)).toEqual([{ a: 1 }, { a: 3 }]);
    expect(nd.rejected).toEqual([{ rowNumber: 2, raw: '{"a":"\uFFFD"}', field: null, reason: 'line 2 is not valid UTF-8: byte ff at byte offset 14; save the file as UTF-8' }]);

    const json = await readAll(pieces(Buffer.concat([Buffer.from('[{"a":1},{"a":"x'), Buffer.from([0xc3, 0x28]), Buffer.from('"},{"a":3}]')])), {
      filename: 'x.json',
    });
    expect(json.records.map((r) => r.data)).toEqual([{ a: 1 }, { a: 3 }]);
    expect(json.rejected).toEqual([{ rowNumber: 2, raw: { a: 'x?(' }, field: null, reason: 'element is not valid UTF-8: byte c3 at byte offset 16; save the file as UTF-8' }]);
    expect(json.summary.invalidUtf8Rows).toBe(1);

    const outside = await readAll(pieces(Buffer.concat([Buffer.from('[{"a":1}, '), Buffer.from([0xff]), Buffer.from(']')])), { filename: 'x.json' });
    expect(outside.records.map((r) => r.data)).toEqual([{ a: 1 }]);
    expect(outside.error).toMatchObject({ code: 'file_malformed', message: 'The JSON is not valid at byte 10 (line 1): byte ff at byte 10 are not valid UTF-8 outside a string' });
  });
});

describe('bad input: very long rows', () => {
  const long = 'x'.repeat(10 * MiB);

  it('reads a 10 MiB CSV line within the default 16 MiB limit', async () => {
    const { records } = await readAll(pieces(`id,blob,n\n1,"${long}",2\n3,short,4\n`), { filename: 'x.csv' });
    expect(records.map((r) => [r.data.id, (r.data.blob as string).length, r.data.n])).toEqual([
      ['1', 10 * MiB, '2'],
      ['3', 5, '4'],
    ]);
  });

  it('rejects a line past maxRowBytes with the reason, and reads the rows after it', async () => {
    const csv = await readAll(pieces(`id,blob\n1,${long}\n2,after\n`), { filename: 'x.csv', maxRowBytes: MiB });
    expect(csv.rejected).toHaveLength(1);
    expect(csv.rejected[0]).toMatchObject({ rowNumber: 1, reason: expect.stringMatching(/^is longer than 1 MiB \(maxRowBytes\)/) });
    expect((csv.rejected[0]!.raw as string).length).toBeLessThan(2000);
    expect(csv.records.map((r) => [r.rowNumber, r.data])).toEqual([[2, { id: '2', blob: 'after' }]]);

    // The same when the whole row arrives in one chunk.
    const whole = await readAll(pieces(`id,blob\n1,"${long}"\n2,after\n`, 20 * MiB), { filename: 'x.csv', maxRowBytes: MiB });
    expect(whole.rejected.map((r) => [r.rowNumber, r.reason])).toEqual([[1, 'is longer than 1 MiB (maxRowBytes): a quote may be missing its closing quote']]);
    expect(whole.records.map((r) => r.data)).toEqual([{ id: '2', blob: 'after' }]);

    const header = await readAll(pieces(`"id,blob\n1,${long}\n`), { filename: 'x.csv', maxRowBytes: MiB, hasHeader: true });
    expect(header.error).toMatchObject({ code: 'file_malformed', message: expect.stringMatching(/^The header row is longer than 1 MiB/) });

    const nd = await readAll(pieces(`{"a":1}\n{"blob":"${long}"}\n{"a":3}\n`), { filename: 'x.ndjson', maxRowBytes: MiB });
    expect(nd.rejected).toEqual([{ rowNumber: 2, raw: null, field: null, reason: 'line 2 is longer than 1 MiB (maxRowBytes); it was skipped' }]);
    expect(nd.records.map((r) => r.data)).toEqual([{ a: 1 }, { a: 3 }]);

    const json = await readAll(pieces(`[{"a":1},{"blob":["${long}", {"deep": "${long}"}]},{"a":3}]`), { filename: 'x.json', maxRowBytes: MiB });
    expect(json.rejected).toEqual([{ rowNumber: 2, raw: null, field: null, reason: 'is larger than 1 MiB (maxRowBytes); it was skipped' }]);
    expect(json.records.map((r) => r.data)).toEqual([{ a: 1 }, { a: 3 }]);
  });
});

describe('bad input: JSON syntax', () => {
  it('keeps the rows before a syntax error, then fails with file_malformed naming the byte and line', async () => {
    const { records, error } = await readAll(fixture('bad-syntax.json'));
    expect(records.map((r) => r.data)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(error).toMatchObject({
      code: 'file_malformed',
      message: 'The JSON is not valid at byte 39 (line 4): expected a key in double quotes, found ","',
      details: { offset: 39, line: 4 },
    });
  });

  it('says so when the file is cut short', async () => {
    const { records, error } = await readAll(pieces('[{"id": 1}, {"id": 2}, {"id": 3'), { filename: 'x.json' });
    expect(records.map((r) => r.data)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(error).toMatchObject({ code: 'file_malformed', message: expect.stringMatching(/ends before its object is closed \(is the file complete\?\)/) });
  });

  it('reports a character that cannot start a token, with its position', async () => {
    const { records, error } = await readAll(pieces('[{"id": 1},\n {"id": nope}]'), { filename: 'x.json' });
    expect(records.map((r) => r.data)).toEqual([{ id: 1 }]);
    expect(error).toMatchObject({ code: 'file_malformed', message: 'The JSON is not valid at byte 21 (line 2): unexpected character "o"' });
  });
});

describe('bad input: not a text file', () => {
  it('refuses a workbook uploaded as CSV with file_unsupported', async () => {
    const { error } = await readAll(pieces(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00])), { filename: 'sales.csv' });
    expect(error).toMatchObject({ code: 'file_unsupported', message: expect.stringMatching(/workbook/) });
  });
});

describe('bad input: values the warehouse cannot type', () => {
  it('keeps numbers with stray text and impossible dates as text; mapping rejects them with reasons', async () => {
    const text = 'sku,price,sold_on\nA1,12.50,2024-02-28\nA2,7,2024-03-01\nA3,12abc,2024-03-02\nA4,8,2023-02-30\nA5,,2024-03-04\n';
    const { records } = await readAll(pieces(text), { filename: 'sales.csv' });
    // The reader does not judge values: they stay text.
    expect(records.map((r) => r.data.price)).toEqual(['12.50', '7', '12abc', '8', null]);

    // Types come from the first rows (here 2), as a preview samples them, then every record is mapped.
    const sample = await sampleSchema(pieces(text), { filename: 'sales.csv', rows: 2 });
    expect(sample.columns).toEqual([
      { name: 'sku', type: 'string', nullable: false },
      { name: 'price', type: 'number', nullable: false },
      { name: 'sold_on', type: 'date', nullable: false },
    ]);
    const mapper = createMapper(sample.fieldMappings);
    const results = records.map((r) => ({ rowNumber: r.rowNumber, result: mapper.map(r.data) }));
    expect(results.filter((r) => r.result.ok).map((r) => r.rowNumber)).toEqual([1, 2, 5]);
    expect(results.flatMap((r) => (r.result.ok ? [] : [{ rowNumber: r.rowNumber, field: r.result.rejected.field, reason: r.result.rejected.reason }]))).toEqual([
      { rowNumber: 3, field: 'price', reason: expect.stringMatching(/"12abc" is not a number/) },
      { rowNumber: 4, field: 'sold_on', reason: expect.stringMatching(/"2023-02-30"/) },
    ]);
  });
});
