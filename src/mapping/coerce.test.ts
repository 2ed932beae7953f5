import { describe, expect, it } from 'vitest';
import { coerce } from './coerce.js';
import type { ColumnType } from './mapping.schema.js';

const ok = (value: unknown, type: ColumnType): unknown => {
  const result = coerce(value, type);
  if (!result.ok) throw new Error(`expected ${String(value)} to coerce to ${type}, got: ${result.reason}`);
  return result.value;
};

const reason = (value: unknown, type: ColumnType): string => {
  const result = coerce(value, type);
  if (result.ok) throw new Error(`expected ${String(value)} to be refused as ${type}, got ${JSON.stringify(result.value)}`);
  return result.reason;
};

describe('coerce to string', () => {
  it('keeps text and writes out numbers and booleans', () => {
    expect(ok('hello', 'string')).toBe('hello');
    expect(ok('', 'string')).toBe('');
    expect(ok('  spaced  ', 'string')).toBe('  spaced  ');
    expect(ok(42, 'string')).toBe('42');
    expect(ok(4.5, 'string')).toBe('4.5');
    expect(ok(-0, 'string')).toBe('0');
    expect(ok(true, 'string')).toBe('true');
    expect(ok(false, 'string')).toBe('false');
    expect(ok(12345678901234567890n, 'string')).toBe('12345678901234567890');
  });

  it('refuses objects and arrays', () => {
    expect(reason({ a: 1 }, 'string')).toBe('expected text, got an object');
    expect(reason([1], 'string')).toBe('expected text, got an array');
    expect(reason(null, 'string')).toBe('expected text, got null');
  });

  it('refuses text PostgreSQL cannot store', () => {
    expect(reason('a\u0000b', 'string')).toContain('NUL');
  });
});

describe('coerce to integer', () => {
  it('accepts whole numbers as numbers', () => {
    expect(ok(42, 'integer')).toBe(42);
    expect(ok(-7, 'integer')).toBe(-7);
    expect(ok(4.0, 'integer')).toBe(4);
    expect(Object.is(ok(-0, 'integer'), 0)).toBe(true);
    expect(ok(Number.MAX_SAFE_INTEGER, 'integer')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('reads integers from text, trimmed, with an integral fraction or exponent', () => {
    expect(ok('42', 'integer')).toBe(42);
    expect(ok(' 42 ', 'integer')).toBe(42);
    expect(ok('+42', 'integer')).toBe(42);
    expect(ok('-42', 'integer')).toBe(-42);
    expect(ok('007', 'integer')).toBe(7);
    expect(ok('4.0', 'integer')).toBe(4);
    expect(ok('4.', 'integer')).toBe(4);
    expect(ok('1e3', 'integer')).toBe(1000);
    expect(ok('1.5e1', 'integer')).toBe(15);
    expect(ok('-0', 'integer')).toBe(0);
    expect(ok('0.000', 'integer')).toBe(0);
  });

  it('keeps big integers exact as digit strings up to the 64-bit range', () => {
    expect(ok('9007199254740993', 'integer')).toBe('9007199254740993');
    expect(ok('9223372036854775807', 'integer')).toBe('9223372036854775807');
    expect(ok('-9223372036854775808', 'integer')).toBe('-9223372036854775808');
    expect(ok(2 ** 60, 'integer')).toBe('1152921504606846976');
    expect(ok(9223372036854775807n, 'integer')).toBe('9223372036854775807');
    expect(ok(5n, 'integer')).toBe(5);
    expect(ok('9.223372036854775807e18', 'integer')).toBe('9223372036854775807');
  });

  it('refuses values beyond the 64-bit range, naming them', () => {
    expect(reason('9223372036854775808', 'integer')).toBe('9223372036854775808 is out of range for an integer (64-bit)');
    expect(reason('-9223372036854775809', 'integer')).toContain('out of range');
    expect(reason(1e19, 'integer')).toBe('10000000000000000000 is out of range for an integer (64-bit)');
    expect(reason('1e30', 'integer')).toBe('1e30 is out of range for an integer (64-bit)');
    expect(reason('1e999999999', 'integer')).toContain('out of range');
  });

  it('refuses fractions', () => {
    expect(reason('4.5', 'integer')).toBe('4.5 is not a whole number');
    expect(reason(4.5, 'integer')).toBe('4.5 is not a whole number');
    expect(reason('0.1', 'integer')).toBe('0.1 is not a whole number');
    expect(reason('1e-3', 'integer')).toBe('1e-3 is not a whole number');
  });

  it('refuses what is not a number', () => {
    expect(reason('abc', 'integer')).toBe('"abc" is not an integer');
    expect(reason('', 'integer')).toBe('empty text is not an integer');
    expect(reason('1,234', 'integer')).toBe('"1,234" is not an integer');
    expect(reason('0x1F', 'integer')).toBe('"0x1F" is not an integer');
    expect(reason('.', 'integer')).toBe('"." is not an integer');
    expect(reason(true, 'integer')).toBe('true is not an integer');
    expect(reason(Number.NaN, 'integer')).toBe('NaN is not a finite number');
    expect(reason({}, 'integer')).toBe('expected an integer, got an object');
  });
});

describe('coerce to number', () => {
  it('accepts finite numbers and numeric text', () => {
    expect(ok(4.5, 'number')).toBe(4.5);
    expect(ok(42, 'number')).toBe(42);
    expect(ok('4.5', 'number')).toBe(4.5);
    expect(ok(' -4.5 ', 'number')).toBe(-4.5);
    expect(ok('1e3', 'number')).toBe(1000);
    expect(ok('1.5E-3', 'number')).toBe(0.0015);
    expect(ok('.5', 'number')).toBe(0.5);
    expect(ok('+7', 'number')).toBe(7);
    expect(ok(10n, 'number')).toBe(10);
  });

  it('refuses NaN, infinities, empty and non-numeric text', () => {
    expect(reason(Number.NaN, 'number')).toBe('NaN is not a finite number');
    expect(reason(Number.POSITIVE_INFINITY, 'number')).toBe('Infinity is not a finite number');
    expect(reason('Infinity', 'number')).toBe('"Infinity" is not a number');
    expect(reason('NaN', 'number')).toBe('"NaN" is not a number');
    expect(reason('', 'number')).toBe('empty text is not a number');
    expect(reason('abc', 'number')).toBe('"abc" is not a number');
    expect(reason('1e400', 'number')).toBe('1e400 is out of range for a number');
    expect(reason(false, 'number')).toBe('false is not a number');
    expect(reason([1], 'number')).toBe('expected a number, got an array');
  });

  it('refuses digit separators instead of guessing a locale', () => {
    expect(reason('1,234.5', 'number')).toContain('"1,234.5" is not a number');
    expect(reason('1,234.5', 'number')).toContain('ambiguous');
    expect(reason('1.234,5', 'number')).toContain('ambiguous');
    expect(reason("1'234", 'number')).toContain('ambiguous');
  });

  it('cuts long values in reasons', () => {
    const long = 'x'.repeat(500);
    const text = reason(long, 'number');
    expect(text.length).toBeLessThan(100);
    expect(text).toContain('…');
  });
});

describe('coerce to boolean', () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ['true', true],
    ['FALSE', false],
    [' Yes ', true],
    ['no', false],
    ['y', true],
    ['N', false],
    ['1', true],
    ['0', false],
    ['t', true],
    ['F', false],
  ])('reads %j as %j', (input, expected) => {
    expect(ok(input, 'boolean')).toBe(expected);
  });

  it('refuses anything else', () => {
    expect(reason(2, 'boolean')).toBe('2 is not a boolean (only 1 and 0 are)');
    expect(reason(-1, 'boolean')).toContain('not a boolean');
    expect(reason('maybe', 'boolean')).toBe('"maybe" is not a boolean');
    expect(reason('', 'boolean')).toBe('"" is not a boolean');
    expect(reason('on', 'boolean')).toBe('"on" is not a boolean');
    expect(reason({}, 'boolean')).toBe('expected a boolean, got an object');
  });
});

describe('coerce to date', () => {
  it('accepts calendar dates', () => {
    expect(ok('2024-01-02', 'date')).toBe('2024-01-02');
    expect(ok(' 2024-02-29 ', 'date')).toBe('2024-02-29');
    expect(ok('2000-02-29', 'date')).toBe('2000-02-29');
    expect(ok('0001-01-01', 'date')).toBe('0001-01-01');
    expect(ok('9999-12-31', 'date')).toBe('9999-12-31');
  });

  it('takes the date of a timestamp as written, whatever its offset', () => {
    expect(ok('2024-01-02T03:04:05Z', 'date')).toBe('2024-01-02');
    expect(ok('2024-01-02T00:00:00+02:00', 'date')).toBe('2024-01-02');
    expect(ok('2024-01-02T23:30:00-05:00', 'date')).toBe('2024-01-02');
    expect(ok('2024-01-02 10:00:00', 'date')).toBe('2024-01-02');
  });

  it('takes the UTC date of a Date object', () => {
    expect(ok(new Date('2024-01-02T23:30:00-05:00'), 'date')).toBe('2024-01-03');
  });

  it('refuses impossible dates', () => {
    expect(reason('2023-02-30', 'date')).toBe('"2023-02-30" is not a valid date');
    expect(reason('2023-02-29', 'date')).toBe('"2023-02-29" is not a valid date');
    expect(reason('1900-02-29', 'date')).toBe('"1900-02-29" is not a valid date');
    expect(reason('2024-13-01', 'date')).toContain('not a valid date');
    expect(reason('2024-00-10', 'date')).toContain('not a valid date');
    expect(reason('0000-01-01', 'date')).toContain('not a valid date');
    expect(reason('2024-01-02T25:00:00Z', 'date')).toContain('not a valid date');
  });

  it('refuses other formats and numbers', () => {
    expect(reason('01/02/2024', 'date')).toContain('expected YYYY-MM-DD');
    expect(reason('2024-1-2', 'date')).toContain('expected YYYY-MM-DD');
    expect(reason('20240102', 'date')).toContain('epoch numbers must be sent as numbers');
    expect(reason(1704153600, 'date')).toContain('is a number, not a date');
    expect(reason(new Date(Number.NaN), 'date')).toBe('expected a date, got an invalid date');
    expect(reason(true, 'date')).toBe('expected a date, got a boolean');
  });
});

describe('coerce to timestamp', () => {
  it('writes ISO 8601 UTC with milliseconds', () => {
    expect(ok('2024-01-02T03:04:05Z', 'timestamp')).toBe('2024-01-02T03:04:05.000Z');
    expect(ok('2024-01-02T03:04:05.123Z', 'timestamp')).toBe('2024-01-02T03:04:05.123Z');
    expect(ok('2024-01-02t03:04:05.1z', 'timestamp')).toBe('2024-01-02T03:04:05.100Z');
  });

  it('applies offsets', () => {
    expect(ok('2024-01-02T03:04:05+02:00', 'timestamp')).toBe('2024-01-02T01:04:05.000Z');
    expect(ok('2024-01-02T03:04:05-0530', 'timestamp')).toBe('2024-01-02T08:34:05.000Z');
    expect(ok('2024-01-02T03:04:05+01', 'timestamp')).toBe('2024-01-02T02:04:05.000Z');
    expect(ok('2024-01-01T23:00:00-02:00', 'timestamp')).toBe('2024-01-02T01:00:00.000Z');
    expect(ok('2024-01-02 03:04:05 UTC', 'timestamp')).toBe('2024-01-02T03:04:05.000Z');
  });

  it('reads text without an offset as UTC', () => {
    expect(ok('2024-01-02T03:04:05', 'timestamp')).toBe('2024-01-02T03:04:05.000Z');
    expect(ok('2024-01-02 03:04:05', 'timestamp')).toBe('2024-01-02T03:04:05.000Z');
    expect(ok('2024-01-02T03:04', 'timestamp')).toBe('2024-01-02T03:04:00.000Z');
    expect(ok('2024-01-02', 'timestamp')).toBe('2024-01-02T00:00:00.000Z');
  });

  it('cuts digits below the millisecond instead of rounding', () => {
    expect(ok('2024-12-31T23:59:59.999999Z', 'timestamp')).toBe('2024-12-31T23:59:59.999Z');
  });

  it('reads epoch numbers as seconds below 1e11 and milliseconds above', () => {
    expect(ok(1704164645, 'timestamp')).toBe('2024-01-02T03:04:05.000Z');
    expect(ok(1704164645123, 'timestamp')).toBe('2024-01-02T03:04:05.123Z');
    expect(ok(1704164645.123, 'timestamp')).toBe('2024-01-02T03:04:05.123Z');
    expect(ok(0, 'timestamp')).toBe('1970-01-01T00:00:00.000Z');
    expect(ok(-86400, 'timestamp')).toBe('1969-12-31T00:00:00.000Z');
    expect(ok(99_999_999_999, 'timestamp')).toBe('5138-11-16T09:46:39.000Z');
    expect(ok(100_000_000_000, 'timestamp')).toBe('1973-03-03T09:46:40.000Z');
  });

  it('accepts Date objects', () => {
    expect(ok(new Date('2024-01-02T03:04:05.006Z'), 'timestamp')).toBe('2024-01-02T03:04:05.006Z');
  });

  it('refuses impossible, unreadable and out-of-range values', () => {
    expect(reason('2024-01-02T24:00:00Z', 'timestamp')).toBe('"2024-01-02T24:00:00Z" is not a valid timestamp');
    expect(reason('2024-01-02T12:60:00Z', 'timestamp')).toContain('not a valid timestamp');
    expect(reason('2024-01-02T12:00:00+25:00', 'timestamp')).toContain('not a valid timestamp');
    expect(reason('2023-02-30T00:00:00Z', 'timestamp')).toContain('not a valid timestamp');
    expect(reason('next tuesday', 'timestamp')).toContain('expected YYYY-MM-DD or an ISO 8601 timestamp');
    expect(reason('Tue, 02 Jan 2024 03:04:05 GMT', 'timestamp')).toContain('expected YYYY-MM-DD');
    expect(reason('1704164645', 'timestamp')).toContain('epoch numbers must be sent as numbers');
    expect(reason('0001-01-01T00:30:00+01:00', 'timestamp')).toContain('out of range');
    expect(reason(1.7e15, 'timestamp')).toContain('out of range for a timestamp');
    expect(reason(Number.POSITIVE_INFINITY, 'timestamp')).toBe('Infinity is not a finite number');
    expect(reason(true, 'timestamp')).toBe('expected a timestamp, got a boolean');
  });
});

describe('coerce to json', () => {
  it('keeps any JSON value as it is', () => {
    const object = { a: [1, { b: null }] };
    expect(ok(object, 'json')).toBe(object);
    expect(ok([1, 2], 'json')).toEqual([1, 2]);
    expect(ok('text', 'json')).toBe('text');
    expect(ok('42', 'json')).toBe('42');
    expect(ok(42, 'json')).toBe(42);
    expect(ok(false, 'json')).toBe(false);
  });

  it('refuses what JSON or jsonb cannot hold', () => {
    expect(reason(Number.NaN, 'json')).toBe('NaN is not a finite number');
    expect(reason(undefined, 'json')).toBe('expected a JSON value, got undefined');
    expect(reason(() => 1, 'json')).toBe('expected a JSON value, got a function');
    expect(reason({ deep: [{ s: 'a\u0000' }] }, 'json')).toContain('NUL');
    expect(reason({ 'k\u0000': 1 }, 'json')).toContain('NUL');
  });

  it('walks deep documents without overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(ok(deep, 'json')).toBe(deep);
  });
});

describe('coerce of missing values', () => {
  it('refuses null and undefined for every type (defaults are the mapper’s business)', () => {
    for (const type of ['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'json'] as const) {
      expect(coerce(null, type).ok, type).toBe(false);
      expect(coerce(undefined, type).ok, type).toBe(false);
    }
  });
});
