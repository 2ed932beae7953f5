import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from './read-file.js';
import { sniffFormat } from './detect.js';
import type { FileBatch } from './file.schema.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-xlsx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes a workbook with exceljs's streaming writer (as Excel files are read: a zip of XML parts). */
async function workbook(sheets: { name: string; rows: unknown[][]; dateColumns?: number[] }[]): Promise<string> {
  const file = path.join(dir, `book-${++counter}.xlsx`);
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true, useStyles: true });
  for (const sheet of sheets) {
    const ws = writer.addWorksheet(sheet.name);
    for (const c of sheet.dateColumns ?? []) ws.getColumn(c).numFmt = 'yyyy-mm-dd';
    for (const row of sheet.rows) ws.addRow(row).commit();
    ws.commit();
  }
  await writer.commit();
  return file;
}

async function readAll(file: string, options: { sheet?: string; hasHeader?: boolean; batchSize?: number } = {}) {
  const reader = readFile(file, options);
  const batches: FileBatch[] = [];
  for await (const batch of reader) batches.push(batch);
  return { records: batches.flatMap((b) => b.records), rejected: batches.flatMap((b) => b.rejected), summary: reader.summary, batches };
}

describe('reading .xlsx workbooks', () => {
  it('reads the first sheet: header names the columns, cells keep their types, dates become ISO dates', async () => {
    const file = await workbook([
      {
        name: 'Sales',
        dateColumns: [4],
        rows: [
          ['SKU', 'Qty', 'Price', 'Sold on', 'Paid'],
          ['A-1', 10, 2.5, new Date(Date.UTC(2026, 0, 2)), true],
          [],
          ['A-2', { formula: 'B2*2', result: 20 }, { richText: [{ text: 'twelve ' }, { text: 'fifty' }] }, new Date(Date.UTC(2026, 0, 3, 10, 30)), false],
          ['A-3', { error: '#DIV/0!' }, 1, null, true],
          ['A-4', 1, 1, null, true, 'stray'],
          ['A-5', null, null, null, null],
        ],
      },
      { name: 'Other', rows: [['x'], [1]] },
    ]);
    expect(sniffFormat(await (await import('node:fs/promises')).readFile(file), 'whatever.bin')).toBe('xlsx');
    const { records, rejected, summary } = await readAll(file);
    // The empty row 3 is not in the sheet at all (Excel writes no empty rows): nothing to read or count.
    expect(summary).toMatchObject({ format: 'xlsx', rowsRead: 5, records: 3, rejected: 2, hasHeader: true, complete: true });
    expect(summary.columns!.map((c) => [c.header, c.name])).toEqual([
      ['SKU', 'sku'],
      ['Qty', 'qty'],
      ['Price', 'price'],
      ['Sold on', 'sold_on'],
      ['Paid', 'paid'],
    ]);
    expect(records).toEqual([
      { rowNumber: 1, data: { sku: 'A-1', qty: 10, price: 2.5, sold_on: '2026-01-02', paid: true } },
      { rowNumber: 2, data: { sku: 'A-2', qty: 20, price: 'twelve fifty', sold_on: '2026-01-03T10:30:00', paid: false } },
      { rowNumber: 5, data: { sku: 'A-5', qty: null, price: null, sold_on: null, paid: null } },
    ]);
    expect(rejected).toEqual([
      { rowNumber: 3, raw: { sku: 'A-3', qty: '#DIV/0!', price: '1', sold_on: '', paid: 'true' }, field: 'qty', reason: 'cell B5 holds the error #DIV/0!' },
      { rowNumber: 4, raw: { sku: 'A-4', qty: '1', price: '1', sold_on: '', paid: 'true' }, field: null, reason: 'cell F6 holds "stray", in a column without a header' },
    ]);
    expect(summary.notes).toContain('Read the sheet "Sales" (the workbook has "Sales", "Other"; choose another with the field "sheet").');
  });

  it('reads the sheet asked for, by name or position, and names the sheets when it has none of that name', async () => {
    const file = await workbook([
      { name: 'First', rows: [['a'], [1]] },
      { name: 'Second Sheet', rows: [['b'], [2], [3]] },
    ]);
    expect((await readAll(file, { sheet: 'second sheet' })).records.map((r) => r.data)).toEqual([{ b: 2 }, { b: 3 }]);
    expect((await readAll(file, { sheet: '2' })).records.map((r) => r.data)).toEqual([{ b: 2 }, { b: 3 }]);
    await expect(readAll(file, { sheet: 'Third' })).rejects.toMatchObject({ code: 'invalid_config', message: 'sheet: the workbook has no sheet "Third"; its sheets are "First", "Second Sheet"' });
  });

  it('streams a large sheet in batches', async () => {
    const rows: unknown[][] = [['n', 'label']];
    for (let i = 1; i <= 12_000; i++) rows.push([i, `row ${i}`]);
    const file = await workbook([{ name: 'Big', rows }]);
    const { records, batches, summary } = await readAll(file, { batchSize: 5000 });
    expect(batches.map((b) => b.records.length)).toEqual([5000, 5000, 2000]);
    expect(records.at(-1)).toEqual({ rowNumber: 12_000, data: { n: 12_000, label: 'row 12000' } });
    expect(summary.records).toBe(12_000);
  });

  it('says what is wrong with a broken workbook or another kind of archive', async () => {
    const fs = await import('node:fs/promises');
    const good = await fs.readFile(await workbook([{ name: 'S', rows: [['a'], [1]] }]));
    const cut = path.join(dir, 'cut.xlsx');
    await fs.writeFile(cut, good.subarray(0, Math.floor(good.length / 2)));
    await expect(readAll(cut)).rejects.toMatchObject({ code: 'file_malformed' });
    // A zip that is not a workbook is still refused at once.
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from('data/notes.txt')]);
    expect(() => sniffFormat(zip, 'notes.zip')).toThrow(/ZIP archive or an OpenDocument workbook/);
  });
});
