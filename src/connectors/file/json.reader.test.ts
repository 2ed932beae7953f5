import { describe, expect, it } from 'vitest';
import { fixture, pieces, readAll } from '../../../test/helpers/file-reader.js';




describe('JSON reader', () => {
  it('streams the objects of a top-level array, nested values intact', async () => {
    const { records, rejected, summary, error } = await readAll(fixture('records.json'));
    expect(error).toBeNull();
    expect(rejected).toEqual([]);
    expect(records).toEqual([
      { rowNumber: 1, data: { id: 1, name: 'Ann', tags: ['a'], address: { city: 'Paris' } } },
      { rowNumber: 2, data: { id: 2, name: 'Bob', joined: '2024-02-03' } },
    ]);
    expect(summary).toMatchObject({ format: 'json', recordsPath: '$', rowsRead: 2, records: 2, delimiter: null, columns: null, complete: true });
  });

  it('reads the one array of a top-level object and reports its path', async () => {
    const { records, summary } = await readAll(fixture('wrapped.json'));
    expect(records.map((r) => r.data)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(summary.recordsPath).toBe('$.data');
    const odd = await readAll(pieces('{"the rows": [{"a": 1}], "meta": {"list": [1, 2]}}'), { filename: 'x.json' });
    expect(odd.error).toBeNull();
    expect(odd.records.map((r) => r.data)).toEqual([{ a: 1 }]);
    expect(odd.summary.recordsPath).toBe('$["the rows"]');
  });

  it('gives the same records however the bytes are cut', async () => {
    const text = '\uFEFF[{"a": "é😀", "b": [1, {"c": null}], "d": -1.5e3, "e": true}, {"__proto__": {"x": 1}, "s": "q\\"\\n"}]';
    const whole = await readAll(pieces(text), { filename: 'x.json' });
    expect(whole.records.map((r) => r.data)).toEqual(JSON.parse(text.slice(1)));
    expect(Object.getPrototypeOf(whole.records[1]!.data)).toBe(Object.prototype);
    expect(Object.keys(whole.records[1]!.data)).toEqual(['__proto__', 's']);
    expect(whole.summary.bom).toBe(true);
    for (const size of [1, 2, 3, 7]) {
      const cut = await readAll(pieces(text, size), { filename: 'x.json' });
      expect(cut.records).toEqual(whole.records);
    }
  });

  it('rejects elements that are not objects, naming what they are', async () => {
    const { records, rejected, summary } = await readAll(fixture('not-objects.json'));
    expect(records).toEqual([
      { rowNumber: 1, data: { id: 1 } },
      { rowNumber: 6, data: { id: 2 } },
    ]);
    expect(rejected).toEqual([
      { rowNumber: 2, raw: 42, field: null, reason: 'element is a number, not an object' },
      { rowNumber: 3, raw: 'text', field: null, reason: 'element is a string, not an object' },
      { rowNumber: 4, raw: null, field: null, reason: 'element is null, not an object' },
      { rowNumber: 5, raw: [1, 2], field: null, reason: 'element is an array, not an object' },
    ]);
    expect(summary.rowsRead).toBe(summary.records + summary.rejected);
  });

  it('reads an empty array as zero rows, with a note', async () => {
    const { records, summary, error } = await readAll(pieces(' [ ] '), { filename: 'x.json' });
    expect(error).toBeNull();
    expect(records).toEqual([]);
    expect(summary.notes).toEqual(['The JSON array is empty.']);
  });

  it.each([
    ['a number', '42', /holds a single number instead of records/],
    ['an object with no array', '{"a": 1, "b": {"c": 2}}', /holds no array of records \(its keys: a, b\)/],
    ['an object with two arrays', '{"a": [{"x": 1}], "b": [{"y": 2}]}', /more than one array \(\$\.a and \$\.b\)/],
    ['two documents', '[{"a": 1}] [{"a": 2}]', /after the end of the JSON document/],
  ])('fails on %s with file_malformed', async (_name, text, message) => {
    const { error } = await readAll(pieces(text), { format: 'json' });
    expect(error).toMatchObject({ code: 'file_malformed', message: expect.stringMatching(message) });
  });
});
