import { describe, expect, it } from 'vitest';
import { AppError, type FieldIssue } from '../errors/index.js';
import { createMapper, MAX_AUTO_COLUMNS, type MapResult } from './mapper.js';
import { FieldMapping, type FieldMappingInput } from './mapping.schema.js';

const row = (result: MapResult): Record<string, unknown> => {
  if (!result.ok) throw new Error(`rejected: ${result.rejected.field}: ${result.rejected.reason}`);
  return result.row;
};

const rejected = (result: MapResult) => {
  if (result.ok) throw new Error(`mapped: ${JSON.stringify(result.row)}`);
  return result.rejected;
};

const configError = (mappings: FieldMappingInput[]): { error: AppError; issues: FieldIssue[] } => {
  try {
    createMapper(mappings);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { error, issues: (error.details as { issues: FieldIssue[] }).issues };
  }
  throw new Error('the mappings were accepted');
};

describe('createMapper with field mappings', () => {
  const mapper = createMapper([
    { source: '$.id', target: 'id', type: 'integer', required: true },
    { source: '$.address.city', target: 'city' },
    { source: '$.price', target: 'price', type: 'number' },
    { source: '$.active', target: 'active', type: 'boolean', default: false },
    { source: '$.created', target: 'created_at', type: 'timestamp' },
    { source: '$.tags', target: 'tags', type: 'json' },
    { source: "$.orders[?(@.total > 100)].id", target: 'big_order', type: 'integer' },
  ]);

  it('picks and converts each field', () => {
    const record = {
      id: '7',
      address: { city: 'Lyon' },
      price: '12.5',
      active: 'yes',
      created: '2024-01-02T03:04:05+01:00',
      tags: ['a'],
      orders: [{ id: 1, total: 50 }, { id: 2, total: 150 }],
      ignored: 'x',
    };
    expect(row(mapper.map(record))).toEqual({
      id: 7,
      city: 'Lyon',
      price: 12.5,
      active: true,
      created_at: '2024-01-02T02:04:05.000Z',
      tags: ['a'],
      big_order: 2,
    });
  });

  it('fills missing optional fields with null and defaults', () => {
    expect(row(mapper.map({ id: 1 }))).toEqual({
      id: 1,
      city: null,
      price: null,
      active: false,
      created_at: null,
      tags: null,
      big_order: null,
    });
    expect(row(mapper.map({ id: 1, active: null })).active).toBe(false);
  });

  it('keeps the column order of the mappings in every row', () => {
    expect(Object.keys(row(mapper.map({ tags: [], id: 1 })))).toEqual(['id', 'city', 'price', 'active', 'created_at', 'tags', 'big_order']);
  });

  it('rejects a record without a required field, naming the source', () => {
    const missing = { name: 'x' };
    expect(rejected(mapper.map(missing))).toEqual({ record: missing, field: 'id', reason: 'required field is missing: nothing at $.id' });
    expect(rejected(mapper.map({ id: null }))).toEqual({ record: { id: null }, field: 'id', reason: 'required field is missing: $.id is null' });
  });

  it('rejects a record whose value does not convert, naming the column and the value', () => {
    const record = { id: 1, price: 'abc' };
    expect(rejected(mapper.map(record))).toEqual({ record, field: 'price', reason: '"abc" is not a number' });
    expect(rejected(mapper.map({ id: '4.5' }))).toMatchObject({ field: 'id', reason: '4.5 is not a whole number' });
    expect(rejected(mapper.map({ id: 1, address: { city: { name: 'Lyon' } } }))).toMatchObject({ field: 'city', reason: 'expected text, got an object' });
  });

  it.each([
    [null, 'record is not an object but null'],
    [[1, 2], 'record is not an object but an array'],
    ['text', 'record is not an object but a string'],
    [42, 'record is not an object but a number'],
    [undefined, 'record is not an object but undefined'],
  ])('rejects %j as a whole record', (record, reason) => {
    expect(rejected(mapper.map(record))).toEqual({ record, field: null, reason });
  });

  it('describes its columns', () => {
    expect(mapper.mode).toBe('mapped');
    expect(mapper.columns()).toEqual([
      { name: 'id', type: 'integer', nullable: false },
      { name: 'city', type: 'string', nullable: true },
      { name: 'price', type: 'number', nullable: true },
      { name: 'active', type: 'boolean', nullable: false },
      { name: 'created_at', type: 'timestamp', nullable: true },
      { name: 'tags', type: 'json', nullable: true },
      { name: 'big_order', type: 'integer', nullable: true },
    ]);
  });

  it('does not let callers change its columns', () => {
    mapper.columns()[0]!.name = 'changed';
    expect(mapper.columns()[0]!.name).toBe('id');
  });
});

describe('createMapper: defaults and required', () => {
  it('converts the default to the column type once', () => {
    const mapper = createMapper([
      { source: '$.n', target: 'n', type: 'integer', default: '5' },
      { source: '$.d', target: 'd', type: 'date', default: '2024-01-02T10:00:00Z' },
    ]);
    expect(row(mapper.map({}))).toEqual({ n: 5, d: '2024-01-02' });
  });

  it('uses the default of a required field instead of rejecting', () => {
    const mapper = createMapper([{ source: '$.n', target: 'n', type: 'integer', required: true, default: 0 }]);
    expect(row(mapper.map({}))).toEqual({ n: 0 });
    expect(mapper.columns()).toEqual([{ name: 'n', type: 'integer', nullable: false }]);
  });

  it('treats a null default as no default', () => {
    const mapper = createMapper([{ source: '$.n', target: 'n', type: 'integer', default: null }]);
    expect(row(mapper.map({}))).toEqual({ n: null });
    expect(mapper.columns()).toEqual([{ name: 'n', type: 'integer', nullable: true }]);
  });

  it('gives each row its own copy of an object default', () => {
    const mapper = createMapper([{ source: '$.meta', target: 'meta', type: 'json', default: { seen: [] } }]);
    const first = row(mapper.map({}));
    (first.meta as { seen: number[] }).seen.push(1);
    expect(row(mapper.map({})).meta).toEqual({ seen: [] });
  });

  it('accepts mappings already parsed by the FieldMapping schema', () => {
    const parsed = [FieldMapping.parse({ source: '$.a', target: 'a' })];
    expect(row(createMapper(parsed).map({ a: 1 }))).toEqual({ a: '1' });
  });

  it('reads keys named like prototype properties from the record only', () => {
    const mapper = createMapper([
      { source: '$.constructor', target: 'c' },
      { source: '$.__proto__.polluted', target: 'p' },
    ]);
    expect(row(mapper.map({}))).toEqual({ c: null, p: null });
    expect(row(mapper.map(JSON.parse('{"constructor": "x", "__proto__": {"polluted": "y"}}')))).toEqual({ c: 'x', p: 'y' });
  });
});

describe('createMapper: validation up front', () => {
  it('lists every bad mapping in one invalid_config error', () => {
    const { error, issues } = configError([
      { source: '$.id', target: 'id', type: 'integer' },
      { source: '$.a[', target: 'a' },
      { source: '$.b', target: 'b', type: 'integer', default: 'abc' },
      { source: '$.c', target: 'id' },
      { source: '$.d', target: 'Bad Name' },
      { source: '$.e', target: '_sluice_run_id' },
      { source: '$.f', target: 'f', type: 'decimal' as never },
      { source: '$.g', target: '__proto__' },
      { source: '$.h', target: 'h', type: 'date', default: '2023-02-30' },
    ]);
    expect(error.code).toBe('invalid_config');
    expect(error.status).toBe(422);
    expect(issues.map((i) => i.field)).toEqual([
      'fieldMappings[1].source',
      'fieldMappings[2].default',
      'fieldMappings[3].target',
      'fieldMappings[4].target',
      'fieldMappings[5].target',
      'fieldMappings[6].type',
      'fieldMappings[7].target',
      'fieldMappings[8].default',
    ]);
    expect(issues[0]!.message).toContain('invalid JSONPath "$.a["');
    expect(issues[1]!.message).toBe('"abc" is not an integer (the default must be a valid integer)');
    expect(issues[2]!.message).toBe('"id" is already the target of fieldMappings[0]');
    expect(issues[4]!.message).toContain('reserved');
    expect(issues[6]!.message).toContain('__proto__');
    expect(issues[7]!.message).toContain('not a valid date');
    for (const issue of issues) expect(error.message).toContain(issue.field);
  });

  it('names a mapping that is not even an object', () => {
    const { issues } = configError([{ source: '$.a', target: 'a' }, 'oops' as never]);
    expect(issues[0]!.field).toBe('fieldMappings[1]');
  });

  it('names each duplicate after the first', () => {
    const { issues } = configError([
      { source: '$.a', target: 'x' },
      { source: '$.b', target: 'x' },
      { source: '$.c', target: 'x' },
    ]);
    expect(issues).toEqual([
      { field: 'fieldMappings[1].target', message: '"x" is already the target of fieldMappings[0]' },
      { field: 'fieldMappings[2].target', message: '"x" is already the target of fieldMappings[0]' },
    ]);
  });
});

describe('createMapper in auto mode (no mappings)', () => {
  it('maps every top-level field, nested values as json', () => {
    const mapper = createMapper([]);
    expect(mapper.mode).toBe('auto');
    const record = { id: 1, Name: 'Ada', address: { city: 'Lyon' }, tags: ['x'], score: 4.5, active: true, born: '1815-12-10', seen: null };
    expect(row(mapper.map(record))).toEqual({ id: 1, name: 'Ada', address: { city: 'Lyon' }, tags: ['x'], score: 4.5, active: true, born: '1815-12-10', seen: null });
    expect(mapper.columns()).toEqual([
      { name: 'id', type: 'integer', nullable: false },
      { name: 'name', type: 'string', nullable: false },
      { name: 'address', type: 'json', nullable: false },
      { name: 'tags', type: 'json', nullable: false },
      { name: 'score', type: 'number', nullable: false },
      { name: 'active', type: 'boolean', nullable: false },
      { name: 'born', type: 'date', nullable: false },
      { name: 'seen', type: 'string', nullable: true },
    ]);
  });

  it('names colliding keys distinctly and keeps the names across records', () => {
    const mapper = createMapper([]);
    expect(row(mapper.map({ 'First Name': 'Ada', first_name: 'A.' }))).toEqual({ first_name: 'Ada', first_name_2: 'A.' });
    // Seen alone, first_name keeps the name it got from the first record.
    expect(row(mapper.map({ first_name: 'B.' }))).toEqual({ first_name_2: 'B.' });
    expect(row(mapper.map({ 'First Name': 'Grace' }))).toEqual({ first_name: 'Grace' });
    expect(mapper.columns().map((c) => [c.name, c.nullable])).toEqual([
      ['first_name', true],
      ['first_name_2', true],
    ]);
  });

  it('widens types as records arrive; rows keep each value converted by its own type', () => {
    const mapper = createMapper([]);
    const a = row(mapper.map({ n: 1, at: '2024-01-02', v: 5 }));
    const b = row(mapper.map({ n: 1.5, at: '2024-01-02T03:04:05+01:00', v: 'five' }));
    const c = row(mapper.map({ n: 2, at: '2024-01-03', v: { x: 1 } }));
    expect([a, b, c]).toEqual([
      { n: 1, at: '2024-01-02', v: 5 },
      { n: 1.5, at: '2024-01-02T02:04:05.000Z', v: 'five' },
      { n: 2, at: '2024-01-03', v: { x: 1 } },
    ]);
    expect(mapper.columns()).toEqual([
      { name: 'n', type: 'number', nullable: false },
      { name: 'at', type: 'timestamp', nullable: false },
      { name: 'v', type: 'json', nullable: false },
    ]);
  });

  it('marks columns nullable when a record lacks them', () => {
    const mapper = createMapper([]);
    mapper.map({ a: 1 });
    mapper.map({ a: 2, b: 'x' });
    mapper.map({ b: 'y' });
    expect(mapper.columns()).toEqual([
      { name: 'a', type: 'integer', nullable: true },
      { name: 'b', type: 'string', nullable: true },
    ]);
  });

  it('keeps JSON strings as strings (no guessing from "42")', () => {
    const mapper = createMapper([]);
    expect(row(mapper.map({ zip: '01234', n: '42' }))).toEqual({ zip: '01234', n: '42' });
    expect(mapper.columns().map((c) => c.type)).toEqual(['string', 'string']);
  });

  it('rejects records that are not objects, and values PostgreSQL cannot store, without counting them', () => {
    const mapper = createMapper([]);
    expect(rejected(mapper.map([1]))).toMatchObject({ field: null, reason: 'record is not an object but an array' });
    const bad = { ok: 1, text: 'a\u0000b' };
    expect(rejected(mapper.map(bad))).toMatchObject({ record: bad, field: 'text' });
    expect(mapper.columns()).toEqual([]);
    mapper.map({ ok: 2 });
    expect(mapper.columns()).toEqual([{ name: 'ok', type: 'integer', nullable: false }]);
  });

  it('never turns a key into a prototype assignment', () => {
    const mapper = createMapper([]);
    const result = row(mapper.map(JSON.parse('{"__proto__": {"admin": true}, "constructor": 1}')));
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(result).toEqual({ _proto: { admin: true }, constructor: 1 });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('renames keys that would take Sluice’s reserved prefix', () => {
    const mapper = createMapper([]);
    expect(row(mapper.map({ _sluice_run_id: 'theirs' }))).toEqual({ src__sluice_run_id: 'theirs' });
  });

  it('stops adding columns at the limit', () => {
    const mapper = createMapper([]);
    const wide = Object.fromEntries(Array.from({ length: MAX_AUTO_COLUMNS }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(row(mapper.map(wide)))).toHaveLength(MAX_AUTO_COLUMNS);
    expect(rejected(mapper.map({ k0: 1, another: 2 })).reason).toContain(`${MAX_AUTO_COLUMNS} columns`);
    expect(row(mapper.map({ k0: 1, k1: 2 }))).toEqual({ k0: 1, k1: 2 });
  });
});

describe('createMapper at volume', () => {
  it('maps 100,000 records of 10 fields', () => {
    const mapper = createMapper([
      { source: '$.id', target: 'id', type: 'integer', required: true },
      { source: '$.name', target: 'name' },
      { source: '$.price', target: 'price', type: 'number' },
      { source: '$.active', target: 'active', type: 'boolean' },
      { source: '$.day', target: 'day', type: 'date' },
      { source: '$.at', target: 'at', type: 'timestamp' },
      { source: '$.qty', target: 'qty', type: 'integer' },
      { source: '$.address.city', target: 'city' },
      { source: '$.tags', target: 'tags', type: 'json' },
      { source: '$.note', target: 'note', default: 'none' },
    ]);
    let mapped = 0;
    let priceSum = 0;
    const rejects: string[] = [];
    let last: Record<string, unknown> | undefined;
    for (let i = 0; i < 100_000; i += 1) {
      const record = {
        id: i,
        name: `item ${i}`,
        price: i / 4,
        active: i % 2 === 0 ? 'yes' : 'no',
        day: `2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
        at: 1_700_000_000 + i,
        qty: i % 1000 === 999 ? 'many' : String(i % 7),
        address: { city: `city ${i % 10}` },
        tags: [i % 3],
        note: i % 5 === 0 ? null : 'n',
      };
      const result = mapper.map(record);
      if (result.ok) {
        mapped += 1;
        priceSum += result.row.price as number;
        last = result.row;
      } else {
        rejects.push(`${result.rejected.field}: ${result.rejected.reason}`);
      }
    }
    expect(mapped).toBe(99_900);
    expect(rejects).toHaveLength(100);
    expect(new Set(rejects)).toEqual(new Set(['qty: "many" is not an integer']));
    const expectedSum = Array.from({ length: 100_000 }, (_, i) => i).filter((i) => i % 1000 !== 999).reduce((sum, i) => sum + i / 4, 0);
    expect(priceSum).toBe(expectedSum);
    expect(last).toEqual({
      id: 99_998,
      name: 'item 99998',
      price: 24_999.5,
      active: true,
      day: '2024-01-11',
      at: new Date((1_700_000_000 + 99_998) * 1000).toISOString(),
      qty: 99_998 % 7,
      city: 'city 8',
      tags: [99_998 % 3],
      note: 'n',
    });
  });
});
