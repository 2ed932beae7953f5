import { describe, expect, it } from 'vitest';
import type { ColumnType } from '../../mapping/index.js';
import { CopyBytes } from './copy-bytes.js';
import { encodeValue, escapeCopyText, rawJsonText, rejectedLine, RowEncoder } from './copy-text.js';

describe('escapeCopyText', () => {
  it('escapes backslash, tab, newline and carriage return, and nothing else', () => {
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(escapeCopyText(`"quotes", commas; 😀 \\N`)).toBe(`"quotes", commas; 😀 \\\\N`);
    expect(escapeCopyText('plain')).toBe('plain');
  });
});

describe('encodeValue', () => {
  const ok = (text: string) => ({ ok: true, text });
  const refused = (reason: RegExp) => ({ ok: false, reason: expect.stringMatching(reason) });

  it('writes NULL for null and undefined, and the empty string as itself', () => {
    expect(encodeValue(null, 'string')).toEqual(ok('\\N'));
    expect(encodeValue(undefined, 'json')).toEqual(ok('\\N'));
    expect(encodeValue('', 'string')).toEqual(ok(''));
    expect(encodeValue('\\N', 'string')).toEqual(ok('\\\\N'));
  });

  it('takes src/mapping’s representation of each type as it is', () => {
    expect(encodeValue(42, 'integer')).toEqual(ok('42'));
    expect(encodeValue('9223372036854775807', 'integer')).toEqual(ok('9223372036854775807'));
    expect(encodeValue('-9223372036854775808', 'integer')).toEqual(ok('-9223372036854775808'));
    expect(encodeValue(0.1, 'number')).toEqual(ok('0.1'));
    expect(encodeValue(true, 'boolean')).toEqual(ok('t'));
    expect(encodeValue('2024-02-29', 'date')).toEqual(ok('2024-02-29'));
    expect(encodeValue('2024-01-02T03:04:05.678Z', 'timestamp')).toEqual(ok('2024-01-02T03:04:05.678Z'));
    expect(encodeValue({ a: 'x\ny', b: [1, '\\'] }, 'json')).toEqual(ok('{"a":"x\\\\ny","b":[1,"\\\\\\\\"]}'));
    expect(encodeValue('text', 'json')).toEqual(ok('"text"'));
  });

  it('converts what src/mapping would convert to the column’s (wider) type', () => {
    expect(encodeValue(42, 'string')).toEqual(ok('42'));
    expect(encodeValue(false, 'string')).toEqual(ok('false'));
    expect(encodeValue('4.0', 'integer')).toEqual(ok('4'));
    expect(encodeValue('12345678901234567890.123456789', 'number')).toEqual(ok('12345678901234567890.123456789'));
    expect(encodeValue('9223372036854775808', 'number')).toEqual(ok('9223372036854775808'));
    expect(encodeValue('2024-01-02', 'timestamp')).toEqual(ok('2024-01-02T00:00:00.000Z'));
    expect(encodeValue('yes', 'boolean')).toEqual(ok('t'));
    expect(encodeValue(new Date('2024-01-02T03:04:05Z'), 'timestamp')).toEqual(ok('2024-01-02T03:04:05.000Z'));
  });

  it('refuses what PostgreSQL would refuse, with a reason', () => {
    expect(encodeValue('9223372036854775808', 'integer')).toEqual(refused(/out of range/));
    expect(encodeValue(1.5, 'integer')).toEqual(refused(/not a whole number/));
    expect(encodeValue(Number.POSITIVE_INFINITY, 'number')).toEqual(refused(/not a finite number/));
    expect(encodeValue('1e99999', 'number')).toEqual(refused(/out of range|not a number/));
    expect(encodeValue('2023-02-29', 'date')).toEqual(refused(/not a valid date/));
    expect(encodeValue('2024-13-01T00:00:00.000Z', 'timestamp')).toEqual(refused(/not a valid timestamp/));
    expect(encodeValue('2024-01-01T24:00:00.000Z', 'timestamp')).toEqual(refused(/not a valid timestamp/));
    expect(encodeValue('a\u0000b', 'string')).toEqual(refused(/NUL/));
    expect(encodeValue('\ud83d', 'string')).toEqual(refused(/surrogate/));
    expect(encodeValue({ a: 'x\u0000' }, 'json')).toEqual(refused(/NUL/));
    expect(encodeValue(['\udc00'], 'json')).toEqual(refused(/surrogate/));
    expect(encodeValue({ a: 1 }, 'string')).toEqual(refused(/expected text/));
    expect(encodeValue(10n ** 30n, 'json')).toEqual(refused(/JSON/));
  });

  it('does not mistake escaped backslashes for escapes in JSON', () => {
    // The text \u0000 (six characters) is fine; only the escape of a real NUL is not.
    expect(encodeValue({ a: '\\u0000' }, 'json')).toEqual(ok('{"a":"\\\\\\\\u0000"}'));
    expect(encodeValue('\\\ud800', 'json')).toEqual(refused(/surrogate/));
  });
});

describe('rawJsonText', () => {
  it('stores any raw value, keeping NUL and lone surrogates as visible escapes', () => {
    expect(rawJsonText({ a: 'x\u0000y' })).toBe('{"a":"x\\\\\\\\u0000y"}');
    expect(rawJsonText('\ud800')).toBe('"\\\\\\\\ud800"');
    expect(rawJsonText(undefined)).toBe('null');
    expect(rawJsonText({ big: 12n })).toBe('{"big":"12"}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(rawJsonText(cyclic)).toBe('"[object Object]"');
  });

  it('makes a rejected-row line with NULLs where nothing is known', () => {
    expect(rejectedLine('bad\tline', null, 'ragged\nrow', 'run\tsrc\t', undefined)).toBe('"bad\\\\tline"\t\\N\tragged\\nrow\trun\tsrc\t\\N\n');
  });
});

describe('RowEncoder', () => {
  const columns = [
    { name: 'id', type: 'integer' as const },
    { name: 'constructor', type: 'string' as const },
    { name: 'note', type: 'string' as const },
  ];

  it('writes run id, source id and row number, then the columns in order', () => {
    const encoder = new RowEncoder(columns, { runId: 'run\t1', sourceId: 'file 1' });
    expect(encoder.encode({ id: 7, constructor: 'c', note: 'a\tb' }, 3)).toBe('run\\t1\tfile 1\t3\t7\tc\ta\\tb\n');
    // `constructor` is not taken from Object.prototype when the row lacks it.
    expect(encoder.encode({ id: 8 }, 4)).toBe('run\\t1\tfile 1\t4\t8\t\\N\t\\N\n');
  });

  it('refuses a row with a field the schema lacks, or a value that does not fit, naming the field', () => {
    const encoder = new RowEncoder(columns, { runId: 'r', sourceId: 's' });
    expect(encoder.encode({ id: 1, extra: 'x' }, 1)).toBeNull();
    expect(encoder).toMatchObject({ field: 'extra', reason: expect.stringContaining('not a column') });
    expect(encoder.encode({ id: 'x' }, 2)).toBeNull();
    expect(encoder).toMatchObject({ field: 'id', reason: expect.stringContaining('not an integer') });
    expect(encoder.encode(null as never, 4)).toBeNull();
    expect(encoder).toMatchObject({ field: null, reason: expect.stringContaining('not a record') });
    // A key holding undefined is a missing value, not a stray field.
    expect(encoder.encode({ id: 1, extra: undefined }, 3)).toBe('r\ts\t3\t1\t\\N\t\\N\n');
  });

  it('refuses through every type’s inline path, json included', () => {
    const encoder = new RowEncoder([{ name: 'doc', type: 'json' }, { name: 'day', type: 'date' }], { runId: 'r', sourceId: 's' });
    expect(encoder.encode({ doc: { a: 'x\u0000' } }, 1)).toBeNull();
    expect(encoder).toMatchObject({ field: 'doc', reason: expect.stringContaining('NUL') });
    expect(encoder.encode({ day: '2023-02-29' }, 2)).toBeNull();
    expect(encoder).toMatchObject({ field: 'day', reason: expect.stringContaining('not a valid date') });
    expect(encoder.encode({ doc: [1], day: '2024-02-29' }, 3)).toBe('r\ts\t3\t[1]\t2024-02-29\n');
  });

  it('refuses a row whose primary key is empty', () => {
    const encoder = new RowEncoder(columns, { runId: 'r', sourceId: 's', primaryKey: ['id'] });
    expect(encoder.encode({ note: 'no id' }, 1)).toBeNull();
    expect(encoder).toMatchObject({ field: 'id', reason: 'the primary key column is empty' });
  });
});

describe('RowEncoder bytes', () => {
  /** A deterministic pseudo-random generator, so a failure can be replayed. */
  function random(seed: number): () => number {
    let x = seed;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
  }
  const pieces = ['a', 'Z', ' ', ',', '"', "'", '\\', '\t', '\n', '\r', '\u0001', '\u007f', 'é', 'ß', '中', '€', '😀', '👍🏽', '\u0000', '\ud800', '\udc00', '\\N', '.'];
  const values: Record<ColumnType, (next: () => number) => unknown> = {
    string: (next) => Array.from({ length: Math.floor(next() * 8) }, () => pieces[Math.floor(next() * pieces.length)]).join(''),
    integer: (next) => [0, -1, 42, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5, '123', '9223372036854775807', 'x'][Math.floor(next() * 9)],
    number: (next) => [0, -0.5, 1e21, 5e-324, 123.456, Number.NaN, '12.50', 7][Math.floor(next() * 8)],
    boolean: (next) => [true, false, 'yes', 0, 'maybe'][Math.floor(next() * 5)],
    date: (next) => ['2024-02-29', '2023-02-29', '0001-01-01', '2024-01-02T03:04:05Z', 'soon'][Math.floor(next() * 5)],
    timestamp: (next) => ['2024-01-02T03:04:05.678Z', '2024-01-02', '2024-01-02T24:00:00.000Z', 1_700_000_000, 'later'][Math.floor(next() * 5)],
    json: (next) => [{ a: 'x\ny', b: ['\\', 'é😀'] }, [1, null], 'text \\u0000', { bad: 'nul\u0000' }, Number.POSITIVE_INFINITY, 3][Math.floor(next() * 6)],
  };

  it('writes exactly what the reference encoders write, or refuses the same rows', () => {
    const types = Object.keys(values) as ColumnType[];
    const columns = types.map((type) => ({ name: `c_${type}`, type }));
    const encoder = new RowEncoder(columns, { runId: 'run é', sourceId: 'src\t1' });
    const next = random(12345);
    const out = new CopyBytes(256);
    const expected: string[] = [];
    for (let n = 1; n <= 3000; n++) {
      const row: Record<string, unknown> = {};
      for (const c of columns) if (next() < 0.9) row[c.name] = next() < 0.1 ? null : values[c.type](next);
      const fields = columns.map((c) => encodeValue(row[c.name], c.type));
      const refused = fields.find((f) => !f.ok);
      const ok = encoder.encodeInto(out, row, n);
      expect(ok).toBe(refused === undefined);
      if (ok) expected.push(`run é\tsrc\\t1\t${n}\t${fields.map((f) => (f.ok ? f.text : '')).join('\t')}\n`);
      else expect(encoder.reason).toBe(refused!.ok ? '' : refused!.reason);
    }
    expect(Buffer.concat(out.take()).toString('utf8')).toBe(expected.join(''));
  });
});

describe('CopyBytes', () => {
  it('hands out whole rows only, growing for a row larger than a chunk, and drops aborted rows', () => {
    const out = new CopyBytes(8);
    out.beginRow();
    out.ascii('first');
    out.endRow();
    out.beginRow();
    out.text('x'.repeat(100));
    expect(out.size).toBe(5);
    out.endRow();
    out.beginRow();
    out.ascii('dropped');
    out.abortRow();
    out.beginRow();
    out.integer(-12345);
    out.byte(10);
    out.endRow();
    expect(Buffer.concat(out.take()).toString()).toBe(`first${'x'.repeat(100)}-12345\n`);
    expect(out.size).toBe(0);
    expect(out.take()).toEqual([]);
  });

  it('rewinds a value that turned out not to fit', () => {
    const out = new CopyBytes(4);
    out.beginRow();
    out.ascii('ok\t');
    const mark = out.mark;
    expect(out.text(`${'long '.repeat(10)}\u0000`)).toBe(false);
    out.rewind(mark);
    out.ascii('\\N');
    out.endRow();
    expect(Buffer.concat(out.take()).toString()).toBe('ok\t\\N');
  });
});
