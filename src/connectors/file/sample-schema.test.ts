import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMapper } from '../../mapping/index.js';
import { readFile, sampleSchema } from './index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/files/${name}`, import.meta.url));
const stream = (text: string) => Readable.from([Buffer.from(text, 'utf8')]);

describe('sampleSchema', () => {
  it('types CSV text (integer, number, boolean, date, timestamp), widening as rows disagree', async () => {
    const text = [
      'id,amount,paid,day,at,code,note',
      '1,10,true,2024-01-02,2024-01-02,007,',
      '2,10.5,false,2024-01-03,2024-01-03T10:00:00Z,008,x',
      '3,11,TRUE,2024-01-04,2024-01-04 11:00:00,009,',
    ].join('\n');
    const sample = await sampleSchema(stream(text), { filename: 'x.csv' });
    expect(sample.format).toBe('csv');
    expect(sample.columns).toEqual([
      { name: 'id', type: 'integer', nullable: false },
      { name: 'amount', type: 'number', nullable: false },
      { name: 'paid', type: 'boolean', nullable: false },
      { name: 'day', type: 'date', nullable: false },
      { name: 'at', type: 'timestamp', nullable: false },
      { name: 'code', type: 'string', nullable: false },
      { name: 'note', type: 'string', nullable: true },
    ]);
    expect(sample.recordsSampled).toBe(3);
    expect(sample.summary.complete).toBe(true);
  });

  it('gives field mappings that map every record of the file', async () => {
    const sample = await sampleSchema(fixture('orders-excel.csv'));
    expect(sample.fieldMappings).toEqual([
      { source: '$["order_id"]', target: 'order_id', type: 'integer' },
      { source: '$["customer_name"]', target: 'customer_name', type: 'string' },
      { source: '$["amount"]', target: 'amount', type: 'number' },
    ]);
    const mapper = createMapper(sample.fieldMappings);
    const rows: unknown[] = [];
    for await (const batch of readFile(fixture('orders-excel.csv'))) for (const r of batch.records) rows.push(mapper.map(r.data));
    expect(rows).toEqual([
      { ok: true, row: { order_id: 1, customer_name: 'Smith, Ann', amount: 12.5 } },
      { ok: true, row: { order_id: 2, customer_name: 'multi\nline', amount: 3 } },
      { ok: true, row: { order_id: 3, customer_name: 'Zoë', amount: 4 } },
    ]);
  });

  it('reads only the first rows asked for', async () => {
    const text = `n\n${Array.from({ length: 5000 }, (_, i) => (i < 10 ? String(i) : 'text')).join('\n')}\n`;
    const sample = await sampleSchema(stream(text), { filename: 'x.csv', rows: 10 });
    expect(sample.columns).toEqual([{ name: 'n', type: 'integer', nullable: false }]);
    expect(sample.recordsSampled).toBe(10);
    expect(sample.summary.complete).toBe(false);
  });

  it('types a header-only CSV as nullable text columns', async () => {
    const sample = await sampleSchema(fixture('header-only.csv'));
    expect(sample.columns).toEqual([
      { name: 'id', type: 'string', nullable: true },
      { name: 'name', type: 'string', nullable: true },
      { name: 'email', type: 'string', nullable: true },
    ]);
  });

  it('keeps JSON types (strings stay strings unless ISO dates) and names keys like the auto mapper', async () => {
    const sample = await sampleSchema(fixture('records.json'));
    expect(sample.format).toBe('json');
    expect(sample.columns).toEqual([
      { name: 'id', type: 'integer', nullable: false },
      { name: 'name', type: 'string', nullable: false },
      { name: 'tags', type: 'json', nullable: true },
      { name: 'address', type: 'json', nullable: true },
      { name: 'joined', type: 'date', nullable: true },
    ]);
    const odd = await sampleSchema(stream('{"First Name": "Ann", "n": "42"}\n{"first_name": "x", "n": "7"}\n'), { filename: 'x.ndjson' });
    expect(odd.columns.map((c) => [c.name, c.type])).toEqual([
      ['first_name', 'string'],
      ['n', 'string'],
      ['first_name_2', 'string'],
    ]);
    expect(odd.fieldMappings[0]).toEqual({ source: '$["First Name"]', target: 'first_name', type: 'string' });
    expect(createMapper(odd.fieldMappings).map({ 'First Name': 'Ann', n: '42' })).toEqual({ ok: true, row: { first_name: 'Ann', n: '42', first_name_2: null } });
  });

  it('counts the rows of the sample the reader rejected', async () => {
    const sample = await sampleSchema(fixture('ragged.csv'));
    expect(sample).toMatchObject({ recordsSampled: 2, rejectedSampled: 2 });
  });
});
