import { describe, expect, it } from 'vitest';
import { coerce, type ColumnType } from '../../mapping/index.js';
import { CopyBytes, encodeValue } from '../../stores/warehouse/index.js';
import { RecordCopyEncoder } from './copy-sink.js';
import { writeFieldBytes, writeValue, type FieldPlan } from './fields.js';

/**
 * The fast path writes a value exactly as the ordinary path does
 * (src/mapping's `coerce`, then the loader's `encodeValue`), or declines it
 * where the ordinary path refuses it.
 */

const plan = (mapType: ColumnType, tableType: ColumnType = mapType): FieldPlan => ({ key: 'v', source: 0, mapType, tableType, nullDeclines: false });

/** What the ordinary path writes for `value`, or null when it refuses it. */
function ordinary(value: unknown, p: FieldPlan): string | null {
  const converted = coerce(value, p.mapType);
  if (!converted.ok) return null;
  const encoded = encodeValue(converted.value, p.tableType);
  return encoded.ok ? encoded.text : null;
}

/** What a RecordCopyEncoder writes for a record `{ v: value }` (the field alone), or null when it declines the record. */
function fromRecord(value: unknown, p: FieldPlan): string | null {
  const encoder = new RecordCopyEncoder([{ source: '$.v', target: 'v', type: p.mapType }], {
    columns: [{ name: 'v', type: p.tableType }],
    primaryKey: null,
    linePrefix: Buffer.alloc(0),
  });
  if (!encoder.encode({ v: value }, 1)) return null;
  const line = Buffer.concat(encoder.take()!.chunks).toString('utf8');
  return line.slice('1\t'.length, -1);
}

/** What writeFieldBytes writes for the UTF-8 bytes of `text` (with CSV's doubled quotes when `doubled`), or null when it declines. */
function fastBytes(text: string, p: FieldPlan, doubled = false): string | null {
  const out = new CopyBytes(64);
  out.beginRow();
  const source = Buffer.from(doubled ? `xx${text.replaceAll('"', '""')}yy` : `xx${text}yy`, 'utf8');
  const ok = writeFieldBytes(out, p, source, 2, source.length - 2, doubled ? 34 : -1);
  if (!ok) return null;
  out.endRow();
  return Buffer.concat(out.take()).toString('utf8');
}

const VALUES: Record<ColumnType, string[]> = {
  integer: ['0', '-0', '7', '-12', '007', '+5', ' 42', '42 ', '1e3', '1.0', '1.5', '12abc', '9007199254740993', '123456789012345678', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '', '١٢'],
  number: ['0', '-0', '0.5', '-0.5', '.5', '5.', '1.50', '3.14', '100', '1e3', '1E-7', '0.000001', '0.0000001', '123456789012345', '1234567890123456', '0.123456789012345', '1,234.5', ' 2.5', 'NaN', 'Infinity', '12abc', '', '00.1'],
  boolean: ['true', 'false', 't', 'f', 'yes', 'no', 'y', 'n', '1', '0', 'TRUE', 'True', ' yes', 'on', '2', ''],
  date: ['2024-01-02', '2024-02-29', '2023-02-29', '2024-02-30', '0000-01-01', '0001-01-01', '9999-12-31', '2024-13-01', '2024-1-02', '2024-01-02T03:04:05Z', ' 2024-01-02', '02/01/2024', '20240102', '2024-01-02x', ''],
  timestamp: [
    '2024-01-02T03:04:05.678Z',
    '2024-01-02T03:04:05Z',
    '2024-01-02 03:04:05',
    '2024-01-02T03:04:05.678+02:00',
    '2024-01-02T24:00:00.000Z',
    '2024-01-02T23:59:60.000Z',
    '2023-02-29T00:00:00.000Z',
    '0001-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '2024-01-02t03:04:05.678z',
    '2024-01-02T03:04:05.6789Z',
    '2024-01-02',
    '1700000000',
    'x024-01-02T03:04:05.678Z',
    '',
  ],
  string: ['', 'plain', 'café 東京 😀', 'tab\there', 'line\nbreak', 'cr\rhere', 'back\\slash', 'nul\u0000here', 'lone \ud800 surrogate', 'quote " inside', 'a""b'],
  json: ['{"a":1}', '[1,2]', '"text"', 'plain', 'back\\slash "quoted"', 'line\nbreak', 'ctrl\u0001', 'nul\u0000', 'lone \udc00', '😀', ''],
};

describe('writeFieldBytes and RecordCopyEncoder: the fast path writes what the ordinary path writes', () => {
  for (const type of Object.keys(VALUES) as ColumnType[]) {
    it(`for ${type} values in every shape, plain and with CSV's doubled quotes`, () => {
      for (const value of VALUES[type]) {
        const expected = ordinary(value, plan(type));
        // A record's string value (what an API gives), text that is not well formed included.
        if (value !== '') expect(fromRecord(value, plan(type)), `${type} ${JSON.stringify(value)} (record)`).toBe(expected);
        // Text that is not well formed has no UTF-8: a file or a raw segment never holds it.
        if (!value.isWellFormed()) continue;
        expect(fastBytes(value, plan(type)), `${type} ${JSON.stringify(value)}`).toBe(expected);
        expect(fastBytes(value, plan(type), true), `${type} ${JSON.stringify(value)} (doubled quotes)`).toBe(expected);
      }
    });
  }

  it('for a column wider in the table than in the mapping (the general path)', () => {
    const cases: [ColumnType, ColumnType, string][] = [
      ['integer', 'number', '42'],
      ['integer', 'string', '-7'],
      ['date', 'timestamp', '2024-01-02'],
      ['timestamp', 'string', '2024-01-02T03:04:05+02:00'],
      ['boolean', 'json', 'yes'],
      ['number', 'json', '1.50'],
      ['integer', 'number', 'x'],
    ];
    for (const [mapType, tableType, value] of cases) {
      expect(fastBytes(value, plan(mapType, tableType)), `${mapType}→${tableType} ${value}`).toBe(ordinary(value, plan(mapType, tableType)));
      expect(fromRecord(value, plan(mapType, tableType)), `${mapType}→${tableType} ${value} (record)`).toBe(ordinary(value, plan(mapType, tableType)));
    }
  });

  it('for values that are not text (records from JSON), through writeValue', () => {
    const cases: [ColumnType, unknown][] = [
      ['integer', 42],
      ['integer', 4.5],
      ['number', 0.1],
      ['boolean', true],
      ['json', { a: [1, 'x'] }],
      ['timestamp', 1_700_000_000],
      ['date', 20240102],
      ['string', 12],
      ['string', { a: 1 }],
    ];
    for (const [type, value] of cases) {
      const out = new CopyBytes(64);
      out.beginRow();
      const ok = writeValue(out, plan(type), value);
      out.endRow();
      expect(ok ? Buffer.concat(out.take()).toString('utf8') : null, `${type} ${JSON.stringify(value)}`).toBe(ordinary(value, plan(type)));
    }
  });
});
