import { describe, expect, it } from 'vitest';
import { fixture, pieces, readAll } from '../../../test/helpers/file-reader.js';




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
