import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readFile, type FileFormat } from './index.js';

/**
 * Memory stays bounded because the readers pull the source as they go: the
 * first batches must be out while most of the file is still unread. A source
 * generating ~50 MB on demand counts what has been pulled from it; no memory
 * or time figure is asserted (bench/ measures those).
 */

/** A source of `rows` rows made on demand, counting the bytes handed out. */
function generated(format: FileFormat, rows: number) {
  const progress = { bytes: 0, done: false };
  const row = (i: number): string => {
    const name = i % 7 === 0 ? `"Name ${i}, with ""quotes""\nand a line break"` : `name ${i}`;
    switch (format) {
      case 'ndjson':
        return `${JSON.stringify({ id: i, name: `name ${i}`, price: i / 100, note: 'x'.repeat(20) })}\n`;
      case 'json':
        return `${i === 1 ? '[' : ','}${JSON.stringify({ id: i, name: `name ${i}`, price: i / 100, note: 'x'.repeat(20) })}\n`;
      default:
        return `${i},${name},${(i % 1000) / 10},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 === 0},${'x'.repeat(30)}\r\n`;
    }
  };
  async function* chunks() {
    if (format === 'csv') yield Buffer.from('id,name,price,day,flag,note\r\n');
    const per = 2000;
    for (let start = 1; start <= rows; start += per) {
      let text = '';
      for (let i = start; i < start + per && i <= rows; i += 1) text += row(i);
      if (format === 'json' && start + per > rows) text += ']';
      const buf = Buffer.from(text, 'utf8');
      progress.bytes += buf.length;
      yield buf;
    }
    progress.done = true;
  }
  return { source: Readable.from(chunks(), { objectMode: false, highWaterMark: 64 * 1024 }), progress };
}

describe('streaming', () => {
  it.each([
    ['csv', 650_000, 50],
    ['ndjson', 600_000, 50],
    // The JSON tokenizer is slower; a smaller file shows the same.
    ['json', 200_000, 15],
  ] as [FileFormat, number, number][])('hands out %s batches while most of the file (%i rows, about %i MB) is unread, and reads it all', async (format, rows, mb) => {
    const { source, progress } = generated(format, rows);
    const reader = readFile(source, { format, batchSize: 5000 });
    let firstBatchAt = -1;
    let batches = 0;
    let records = 0;
    let lastRow = 0;
    for await (const batch of reader) {
      if (firstBatchAt === -1) firstBatchAt = progress.bytes;
      batches += 1;
      records += batch.records.length;
      expect(batch.rejected).toEqual([]);
      expect(batch.records[0]!.rowNumber).toBe(lastRow + 1);
      lastRow = batch.records.at(-1)!.rowNumber;
    }
    expect(progress.done).toBe(true);
    expect(progress.bytes).toBeGreaterThan(mb * 1024 * 1024 * 0.8);
    // The first batch came when a small part of the file had been pulled.
    expect(firstBatchAt).toBeLessThan(progress.bytes / 20);
    expect(records).toBe(rows);
    expect(batches).toBe(Math.ceil(rows / 5000));
    expect(reader.summary).toMatchObject({ rowsRead: rows, records: rows, rejected: 0, complete: true });
  });
});
