import { describe, expect, it } from 'vitest';
import { planSchema } from './catalog.js';
import { readNumber, widenUsing } from './column-types.js';
import { checkColumnName, checkOrgId, checkTableName, locationName, qualify, quoteIdent } from './identifiers.js';

describe('identifiers', () => {
  it('quotes any string safely', () => {
    expect(quoteIdent('orders')).toBe('"orders"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(qualify('orgdata_acme-eu', 'orders')).toBe('"orgdata_acme-eu"."orders"');
  });

  it('accepts table names by the column-name rule, short enough for __rejected, without __', () => {
    expect(checkTableName('orders_2024')).toBe('orders_2024');
    expect(checkTableName('a'.repeat(53))).toBe('a'.repeat(53));
    for (const bad of ['Orders', 'a b', '1x', '_sluice_t', 'x__y', 'a'.repeat(54), 'drop;', '', 42, null]) {
      expect(() => checkTableName(bad)).toThrow(expect.objectContaining({ code: 'invalid_config', status: 422 }));
    }
  });

  it('suggests a valid name', () => {
    expect(() => checkTableName('Order Items (EU)')).toThrow(/a valid name would be "order_items_eu"/);
    expect(() => checkColumnName('First Name')).toThrow(/column name "First Name" is not valid.*"first_name"/);
  });

  it('names each organisation’s database or schema from the prefix and a valid org id', () => {
    expect(locationName('orgdata_', 'acme-eu_1')).toBe('orgdata_acme-eu_1');
    expect(() => checkOrgId('Acme')).toThrow(expect.objectContaining({ code: 'invalid_config' }));
    expect(() => checkOrgId('a"; drop')).toThrow();
  });
});

describe('planSchema', () => {
  const existing = [
    { name: 'id', type: 'integer' as const },
    { name: 'name', type: 'string' as const },
    { name: 'day', type: 'date' as const },
  ];

  it('adds new columns at the end and widens along src/mapping’s lattice', () => {
    const plan = planSchema(existing, [
      { name: 'id', type: 'number', nullable: false },
      { name: 'day', type: 'timestamp', nullable: true },
      { name: 'extra', type: 'json', nullable: true },
    ]);
    expect(plan.columns).toEqual([
      { name: 'id', type: 'number' },
      { name: 'name', type: 'string' },
      { name: 'day', type: 'timestamp' },
      { name: 'extra', type: 'json' },
    ]);
    expect(plan.added).toEqual([{ name: 'extra', type: 'json' }]);
    expect(plan.widened).toEqual([
      { name: 'id', from: 'integer', to: 'number' },
      { name: 'day', from: 'date', to: 'timestamp' },
    ]);
  });

  it('never narrows: text stays text whatever arrives', () => {
    const plan = planSchema(existing, [
      { name: 'name', type: 'integer', nullable: true },
      { name: 'id', type: 'boolean', nullable: true },
    ]);
    expect(plan.widened).toEqual([{ name: 'id', from: 'integer', to: 'string' }]);
    expect(plan.columns.find((c) => c.name === 'name')!.type).toBe('string');
  });
});

describe('column types', () => {
  it('widens with casts that keep every value and match what the loader writes', () => {
    expect(widenUsing('n', 'integer', 'number')).toBe('"n"::numeric');
    expect(widenUsing('n', 'number', 'string')).toBe('"n"::text');
    expect(widenUsing('d', 'date', 'timestamp')).toBe(`("d"::timestamp AT TIME ZONE 'UTC')`);
    expect(widenUsing('t', 'timestamp', 'string')).toContain(`'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`);
    expect(widenUsing('b', 'boolean', 'json')).toBe('to_jsonb("b")');
    expect(() => widenUsing('x', 'string', 'integer')).toThrow();
  });

  it('reads int8 and numeric text as numbers only when exact', () => {
    expect(readNumber('9007199254740991')).toBe(9007199254740991);
    expect(readNumber('9007199254740993')).toBe('9007199254740993');
    expect(readNumber('12.50')).toBe(12.5);
    expect(readNumber('-0.000001')).toBe(-0.000001);
    expect(readNumber('123456789012345.6')).toBe('123456789012345.6');
    expect(readNumber(null)).toBeNull();
  });
});
