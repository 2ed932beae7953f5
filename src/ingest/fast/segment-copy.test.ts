import { describe, expect, it } from 'vitest';
import type { ColumnType } from '../../mapping/index.js';
import type { CopyTarget } from '../../stores/warehouse/index.js';
import { RecordCopyEncoder } from './copy-sink.js';
import { SegmentCopyEncoder } from './segment-copy.js';

const target: CopyTarget = {
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'string' },
    { name: 'at', type: 'timestamp' },
    { name: 'gone', type: 'string' },
    { name: 'meta', type: 'json' },
  ],
  primaryKey: null,
  linePrefix: Buffer.from('run\tsrc\t'),
};
const mappings = target.columns.map((c) => ({ source: `$.${c.name}`, target: c.name, type: c.type as ColumnType }));
const lines = (encoder: { take(): { chunks: Buffer[] } | undefined }) => Buffer.concat(encoder.take()?.chunks ?? []).toString('utf8');

describe('SegmentCopyEncoder', () => {
  it('writes the lines RecordCopyEncoder writes for the parsed records, declining the same ones', () => {
    const data = [
      { id: '1', name: 'plain', at: '2024-01-02T03:04:05.678Z', extra: 'x', meta: '{"a":1}' },
      { id: '2', name: 'tab\t "quoted" \\ é 😀 \u2028 \b\f\r\n', at: null, extra: null, meta: 'tab\t "q" \\ \n' },
      { id: 'x3', name: 'declined: not an integer', at: null, extra: 'x', meta: null },
      { id: '4', name: 'lone \ud800', at: '2024-01-02', extra: 'x', meta: 'x' },
      { id: '5', name: 'ctrl \u0001', at: null, extra: 'x', meta: 'ctrl \u0001 and a lone \udc00' },
      { id: '6', name: 'nul \u0000', at: null, extra: 'x', meta: 'ok' },
      { id: '7', name: 'ok', at: null, extra: 'x', meta: 'nul \u0000' },
    ];
    const json = JSON.stringify(data);
    const rowNumbers = [10, 11, 12, 13, 14, 15, 16];
    const segments = new SegmentCopyEncoder(mappings, target);
    const declined = segments.encode(Buffer.from(json), rowNumbers, 1);
    const records = new RecordCopyEncoder(mappings, target);
    const expectedDeclined = data.map((d, i) => ({ rowNumber: rowNumbers[i]!, data: d })).filter((r, i) => i >= 1 && !records.encode(r.data, r.rowNumber));
    expect(declined).toEqual(expectedDeclined);
    expect(declined!.map((d) => d.rowNumber)).toEqual([12, 13, 14, 15, 16]);
    expect(lines(segments)).toBe(lines(records));
    // A `\/` escape (which JSON.stringify never writes) reads as the same value.
    const odd = '[{"id":"8","name":"a\\/b","meta":"c\\/d"}]';
    expect(segments.encode(Buffer.from(odd), [1], 0)).toEqual([]);
    expect(records.encode(JSON.parse(odd)[0], 1)).toBe(true);
    expect(lines(segments)).toBe(lines(records));
  });

  it('leaves a segment of records not flat and alike to the caller', () => {
    const segments = new SegmentCopyEncoder(mappings, target);
    for (const data of [[{ id: 1 }], [{ id: '1', name: { a: 1 } }], [{ id: '1' }, { name: 'x', id: '2' }], [{ id: '1' }, { id: '2', name: 'x' }], [1, 2], []]) {
      expect(segments.encode(Buffer.from(JSON.stringify(data)), data.map((_, i) => i + 1), 0), JSON.stringify(data)).toBeNull();
    }
    expect(segments.take()).toBeUndefined();
  });
});
