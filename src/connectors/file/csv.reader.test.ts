import { describe, expect, it } from 'vitest';
import { readFile, type FileBatch, type FileReadSummary, type ReadFileOptions } from './index.js';
import type { FileSource } from './source.js';
import { fixture, pieces } from '../../../test/helpers/file-reader.js';



async function readAll(source: FileSource, options: ReadFileOptions = {}) {
  const reader = readFile(source, options);
  const batches: FileBatch[] = [];
  for await (const batch of reader) batches.push(batch);
  const summary: FileReadSummary = reader.summary;
  return {
    batches,
    records: batches.flatMap((b) => b.records),
    rejected: batches.flatMap((b) => b.rejected),
    summary,
  };
}

describe('CSV reader', () => {
  it('reads quoted commas, doubled quotes and quoted line breaks; cells stay text, an empty cell is null', async () => {
    const { records, rejected, summary } = await readAll(fixture('orders.csv'));
    expect(rejected).toEqual([]);
    expect(records).toEqual([
      {
        rowNumber: 1,
        data: { order_id: '1001', customer: 'Smith, Ann', amount: '12.50', ordered_on: '2024-03-01', paid: 'true', comment: 'said "hurry"' },
      },
      { rowNumber: 2, data: { order_id: '1002', customer: 'Bob', amount: '7', ordered_on: '2024-03-02', paid: 'false', comment: null } },
      {
        rowNumber: 3,
        data: { order_id: '1003', customer: 'Lee\nHome', amount: '100.25', ordered_on: '2024-03-03', paid: 'true', comment: 'two\nlines' },
      },
    ]);
    expect(summary).toMatchObject({
      format: 'csv',
      rowsRead: 3,
      records: 3,
      rejected: 0,
      delimiter: ',',
      quote: '"',
      hasHeader: true,
      lineBreak: 'lf',
      bom: false,
      complete: true,
      bytes: 186,
    });
  });

  it('strips a UTF-8 BOM, reads CRLF with LF inside quotes (as Excel writes), and maps headers to column names', async () => {
    const { records, summary } = await readAll(fixture('orders-excel.csv'));
    expect(records.map((r) => r.data)).toEqual([
      { order_id: '1', customer_name: 'Smith, Ann', amount: '12.5' },
      { order_id: '2', customer_name: 'multi\nline', amount: '3' },
      { order_id: '3', customer_name: 'Zoë', amount: '4' },
    ]);
    expect(summary).toMatchObject({ bom: true, lineBreak: 'crlf', hasHeader: true });
    expect(summary.columns).toEqual([
      { index: 0, header: 'Order ID', name: 'order_id' },
      { index: 1, header: 'Customer Name', name: 'customer_name' },
      { index: 2, header: 'Amount', name: 'amount' },
    ]);
  });

  it('gives the same rows however the bytes are cut', async () => {
    const bytes = Buffer.from('\uFEFFid,note\r\n1,"a ""q"", b\r\nc"\r\n2,é😀\r\n3,\r\n\r\n4,"x,y"\r\n', 'utf8');
    const whole = await readAll(pieces(bytes), { filename: 'x.csv' });
    expect(whole.records.map((r) => r.data.note)).toEqual(['a "q", b\r\nc', 'é😀', null, 'x,y']);
    for (const size of [1, 2, 3, 5, 7, 13]) {
      const cut = await readAll(pieces(bytes, size), { filename: 'x.csv' });
      expect(cut.records).toEqual(whole.records);
      expect(cut.summary.blankLines).toBe(1);
    }
  });

  it('detects ; | and tab delimiters', async () => {
    const semi = await readAll(fixture('semicolon.csv'));
    expect(semi.summary).toMatchObject({ format: 'csv', delimiter: ';' });
    expect(semi.records[0]!.data).toEqual({ produit: 'Pomme', prix: '1,20', quantite: '3' });

    const pipes = await readAll(fixture('pipes.txt'));
    expect(pipes.summary).toMatchObject({ format: 'csv', delimiter: '|' });
    expect(pipes.records.map((r) => r.data)).toEqual([
      { a: '1', b: '2', c: '3' },
      { a: '4', b: '5', c: '6' },
    ]);

    const tsv = await readAll(fixture('people.tsv'));
    expect(tsv.summary).toMatchObject({ format: 'tsv', delimiter: '\t' });
    expect(tsv.records.map((r) => r.data)).toEqual([
      { name: 'Ann', city: 'Paris', age: '34' },
      { name: 'Bob', city: 'New\tYork', age: '41' },
    ]);
  });

  it('numbers the columns of a file without a header; the first row is data', async () => {
    const { records, summary } = await readAll(fixture('no-header.csv'));
    expect(summary.hasHeader).toBe(false);
    expect(summary.columns).toEqual([
      { index: 0, header: null, name: 'column_1' },
      { index: 1, header: null, name: 'column_2' },
      { index: 2, header: null, name: 'column_3' },
    ]);
    expect(records.map((r) => r.data)).toEqual([
      { column_1: '1', column_2: '2024-01-01', column_3: '3.5' },
      { column_1: '2', column_2: '2024-01-02', column_3: '4' },
      { column_1: '3', column_2: '2024-01-03', column_3: null },
    ]);
  });

  it('follows hasHeader when given', async () => {
    const forced = await readAll(pieces('name,city\nAnn,Paris\n'), { filename: 'x.csv', hasHeader: false });
    expect(forced.records.map((r) => r.data)).toEqual([
      { column_1: 'name', column_2: 'city' },
      { column_1: 'Ann', column_2: 'Paris' },
    ]);
    const header = await readAll(pieces('2023,2024\n10,12\n'), { filename: 'x.csv', hasHeader: true });
    expect(header.records.map((r) => r.data)).toEqual([{ _2023: '10', _2024: '12' }]);
    expect(header.summary.columns!.map((c) => [c.header, c.name])).toEqual([
      ['2023', '_2023'],
      ['2024', '_2024'],
    ]);
  });

  it('gives repeated, empty and odd headers their own column names', async () => {
    const { records, summary } = await readAll(pieces('Amount,Amount,,First Name,_sluice_x,amount_2\n1,2,3,4,5,6\n'), {
      filename: 'x.csv',
      hasHeader: true,
    });
    expect(summary.columns!.map((c) => [c.header, c.name])).toEqual([
      ['Amount', 'amount'],
      ['Amount', 'amount_3'],
      ['', 'column_3'],
      ['First Name', 'first_name'],
      ['_sluice_x', 'src__sluice_x'],
      ['amount_2', 'amount_2'],
    ]);
    expect(records[0]!.data).toEqual({ amount: '1', amount_3: '2', column_3: '3', first_name: '4', src__sluice_x: '5', amount_2: '6' });
  });

  it('yields batches of batchSize, numbering rows across them', async () => {
    const text = `n\n${Array.from({ length: 25 }, (_, i) => `v${i + 1}`).join('\n')}\n`;
    const { batches } = await readAll(pieces(text, 10), { filename: 'x.csv', batchSize: 10 });
    expect(batches.map((b) => b.records.length)).toEqual([10, 10, 5]);
    expect(batches.flatMap((b) => b.records.map((r) => r.rowNumber))).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('keeps quoted empty cells as empty text with quotedEmpty: "empty"', async () => {
    const text = 'a,b,c\n,"",x\n"",,"say ""hi"""\n';
    const asNull = await readAll(pieces(text), { filename: 'x.csv' });
    expect(asNull.records.map((r) => r.data)).toEqual([
      { a: null, b: null, c: 'x' },
      { a: null, b: null, c: 'say "hi"' },
    ]);
    const asEmpty = await readAll(pieces(text), { filename: 'x.csv', quotedEmpty: 'empty' });
    expect(asEmpty.records.map((r) => r.data)).toEqual([
      { a: null, b: '', c: 'x' },
      { a: '', b: null, c: 'say "hi"' },
    ]);
  });

  it('reads files with old Mac line breaks (CR only) and with a final row lacking its line break', async () => {
    const cr = await readAll(pieces('a,b\r1,2\r3,"x\ry"'), { filename: 'x.csv' });
    expect(cr.summary.lineBreak).toBe('cr');
    expect(cr.records.map((r) => r.data)).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: 'x\ry' },
    ]);
  });

  it("reads single-quoted files and honours an explicit delimiter", async () => {
    const single = await readAll(pieces("'name','note'\n'Ann','a, b'\n"), { filename: 'x.csv' });
    expect(single.summary.quote).toBe("'");
    expect(single.records[0]!.data).toEqual({ name: 'Ann', note: 'a, b' });
    const given = await readAll(pieces('a;b,c\n1;2,3\n'), { filename: 'x.csv', delimiter: ';' });
    expect(given.records[0]!.data).toEqual({ a: '1', b_c: '2,3' });
  });

  it('skips blank lines, counting them, and keeps whitespace inside cells', async () => {
    const { records, summary } = await readAll(pieces('\n\na,b\n\n 1 , 2\n   \n3,4\n\n'), { filename: 'x.csv' });
    expect(records.map((r) => r.data)).toEqual([
      { a: ' 1 ', b: ' 2' },
      { a: '3', b: '4' },
    ]);
    expect(summary.blankLines).toBe(5);
  });

  it('reads a stream of strings, and stops reading when the consumer stops', async () => {
    let pulled = 0;
    async function* lines() {
      yield 'id\n';
      for (let i = 1; i <= 100_000; i += 1) {
        pulled += 1;
        yield `${i}\n`;
      }
    }
    const reader = readFile(lines(), { filename: 'ids.csv', batchSize: 100 });
    for await (const batch of reader) {
      expect(batch.records[0]!.data).toEqual({ id: '1' });
      break;
    }
    expect(pulled).toBeLessThan(100_000);
    expect(reader.summary.complete).toBe(false);
  });

  it('refuses a second iteration and bad options', async () => {
    const reader = readFile(pieces('a\n1\n'), { filename: 'x.csv' });
    for await (const _ of reader) void _;
    await expect(async () => {
      for await (const _ of reader) void _;
    }).rejects.toThrow(/only once/);
    expect(() => readFile('x.csv', { batchSize: 0 })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => readFile('x.csv', { delimiter: ':' as ',' })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
