import { describe, expect, it } from 'vitest';
import { coerce } from './coerce.js';
import { inferType, SchemaInferrer, widenType } from './infer.js';
import type { ColumnType } from './mapping.schema.js';

describe('inferType', () => {
  it('types JSON values', () => {
    expect(inferType(null)).toBeNull();
    expect(inferType(undefined)).toBeNull();
    expect(inferType(true)).toBe('boolean');
    expect(inferType(42)).toBe('integer');
    expect(inferType(-0)).toBe('integer');
    expect(inferType(4.5)).toBe('number');
    expect(inferType(2 ** 60)).toBe('number');
    expect(inferType('hello')).toBe('string');
    expect(inferType({ a: 1 })).toBe('json');
    expect(inferType([1, 2])).toBe('json');
    expect(inferType([])).toBe('json');
    expect(inferType(new Date())).toBe('timestamp');
  });

  it('keeps JSON strings as strings even when they hold numbers or booleans', () => {
    expect(inferType('42')).toBe('string');
    expect(inferType('4.2')).toBe('string');
    expect(inferType('true')).toBe('string');
    expect(inferType('')).toBe('string');
  });

  it('recognises ISO dates and timestamps in strings', () => {
    expect(inferType('2024-01-02')).toBe('date');
    expect(inferType('2024-01-02T03:04:05Z')).toBe('timestamp');
    expect(inferType('2024-01-02T03:04:05.123+02:00')).toBe('timestamp');
    expect(inferType('2024-01-02 03:04:05')).toBe('timestamp');
    expect(inferType('2023-02-30')).toBe('string');
    expect(inferType('2024-01-02 is the day')).toBe('string');
    expect(inferType('01/02/2024')).toBe('string');
  });

  describe('fromText', () => {
    const text = (value: string) => inferType(value, { fromText: true });

    it('reads numbers, booleans and dates from text', () => {
      expect(text('42')).toBe('integer');
      expect(text(' -42 ')).toBe('integer');
      expect(text('0')).toBe('integer');
      expect(text('4.2')).toBe('number');
      expect(text('4.0')).toBe('number');
      expect(text('-0.5')).toBe('number');
      expect(text('1e6')).toBe('number');
      expect(text('.5')).toBe('number');
      expect(text('true')).toBe('boolean');
      expect(text('FALSE')).toBe('boolean');
      expect(text('2024-01-02')).toBe('date');
      expect(text('2024-01-02T03:04:05Z')).toBe('timestamp');
      expect(text('hello')).toBe('string');
    });

    it('keeps codes with leading zeros and huge integers as text', () => {
      expect(text('007')).toBe('string');
      expect(text('00.5')).toBe('string');
      expect(text('12345678901234567890123')).toBe('string');
      expect(text('9223372036854775807')).toBe('integer');
    });

    it('does not take yes/no, 1/0 words or separators as anything but what they are', () => {
      expect(text('yes')).toBe('string');
      expect(text('1')).toBe('integer');
      expect(text('1,234')).toBe('string');
      expect(text('Infinity')).toBe('string');
      expect(text('-')).toBe('string');
    });

    it('reads an empty cell as missing', () => {
      expect(text('')).toBeNull();
      expect(text('   ')).toBeNull();
    });

    it('infers types that the same text coerces to', () => {
      for (const value of ['42', '-7', '4.2', '1e6', 'true', '2024-01-02', '2024-01-02 03:04:05', 'abc']) {
        const type = text(value)!;
        expect(coerce(value, type).ok, `${value} as ${type}`).toBe(true);
      }
    });
  });
});

describe('widenType', () => {
  const cases: [ColumnType, ColumnType, ColumnType][] = [
    ['integer', 'integer', 'integer'],
    ['integer', 'number', 'number'],
    ['number', 'integer', 'number'],
    ['integer', 'string', 'string'],
    ['number', 'string', 'string'],
    ['date', 'timestamp', 'timestamp'],
    ['timestamp', 'date', 'timestamp'],
    ['date', 'string', 'string'],
    ['timestamp', 'integer', 'string'],
    ['boolean', 'integer', 'string'],
    ['boolean', 'string', 'string'],
    ['date', 'integer', 'string'],
    ['json', 'integer', 'json'],
    ['string', 'json', 'json'],
    ['boolean', 'json', 'json'],
  ];
  it.each(cases)('%s + %s → %s', (a, b, expected) => {
    expect(widenType(a, b)).toBe(expected);
  });
});

describe('SchemaInferrer', () => {
  it('lists columns in first-seen order with widened types', () => {
    const inferrer = new SchemaInferrer();
    inferrer.observe({ id: 1, price: 5, at: '2024-01-02', name: 'a' });
    inferrer.observe({ id: 2, price: 5.5, at: '2024-01-02T10:00:00Z', name: 'b', extra: true });
    expect(inferrer.columns()).toEqual([
      { name: 'id', type: 'integer', nullable: false },
      { name: 'price', type: 'number', nullable: false },
      { name: 'at', type: 'timestamp', nullable: false },
      { name: 'name', type: 'string', nullable: false },
      { name: 'extra', type: 'boolean', nullable: true },
    ]);
    expect(inferrer.recordCount).toBe(2);
  });

  it('widens integer → number → string and never narrows back', () => {
    const inferrer = new SchemaInferrer();
    const typeAfter = (value: unknown) => {
      inferrer.observe({ v: value });
      return inferrer.columns()[0]!.type;
    };
    expect(typeAfter(1)).toBe('integer');
    expect(typeAfter(1.5)).toBe('number');
    expect(typeAfter(2)).toBe('number');
    expect(typeAfter('x')).toBe('string');
    expect(typeAfter(3)).toBe('string');
  });

  it('lets objects and arrays win over scalars', () => {
    const inferrer = new SchemaInferrer();
    inferrer.observe({ v: 'text' });
    inferrer.observe({ v: { a: 1 } });
    inferrer.observe({ v: 5 });
    expect(inferrer.columns()).toEqual([{ name: 'v', type: 'json', nullable: false }]);
  });

  it('marks a column nullable when it was null, or missing before or after it appeared', () => {
    const before = new SchemaInferrer();
    before.observe({ a: 1 });
    before.observe({ a: 2, late: 'x' });
    const after = new SchemaInferrer();
    after.observe({ a: 1, early: 'x' });
    after.observe({ a: 2 });
    const nulls = new SchemaInferrer();
    nulls.observe({ a: 1, n: 'x' });
    nulls.observe({ a: 2, n: null });
    nulls.observe({ a: 3, n: undefined });
    expect(before.columns().find((c) => c.name === 'late')?.nullable).toBe(true);
    expect(after.columns().find((c) => c.name === 'early')?.nullable).toBe(true);
    expect(nulls.columns()).toEqual([
      { name: 'a', type: 'integer', nullable: false },
      { name: 'n', type: 'string', nullable: true },
    ]);
  });

  it('types a column that was only ever null as nullable string', () => {
    const inferrer = new SchemaInferrer();
    inferrer.observe({ a: null });
    inferrer.observe({ a: null });
    expect(inferrer.columns()).toEqual([{ name: 'a', type: 'string', nullable: true }]);
  });

  it('keeps the type when nulls come between values', () => {
    const inferrer = new SchemaInferrer();
    inferrer.observe({ a: null });
    inferrer.observe({ a: '2024-01-02' });
    inferrer.observe({ a: null });
    expect(inferrer.columns()).toEqual([{ name: 'a', type: 'date', nullable: true }]);
  });

  it('reads text input with fromText', () => {
    const inferrer = new SchemaInferrer({ fromText: true });
    inferrer.observe({ id: '1', price: '2', ok: 'true', day: '2024-01-02', note: '' });
    inferrer.observe({ id: '2', price: '2.5', ok: 'false', day: '2024-01-03', note: 'x' });
    expect(inferrer.columns()).toEqual([
      { name: 'id', type: 'integer', nullable: false },
      { name: 'price', type: 'number', nullable: false },
      { name: 'ok', type: 'boolean', nullable: false },
      { name: 'day', type: 'date', nullable: false },
      { name: 'note', type: 'string', nullable: true },
    ]);
  });

  it('handles keys named like prototype properties', () => {
    const inferrer = new SchemaInferrer();
    inferrer.observe(JSON.parse('{"__proto__": 1, "constructor": "x"}') as Record<string, unknown>);
    expect(inferrer.columns()).toEqual([
      { name: '__proto__', type: 'integer', nullable: false },
      { name: 'constructor', type: 'string', nullable: false },
    ]);
  });
});
