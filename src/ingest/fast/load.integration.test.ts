import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, dropWithRetries, TEST_DATABASE_URL } from '../../../test/helpers/databases.js';
import { readFile } from '../../connectors/file/index.js';
import { createMapper, type FieldMappingInput } from '../../mapping/index.js';
import { PostgresRawStore, type RawSource } from '../../stores/raw/index.js';
import { createWarehouse, qualify, rejectedTableName, type Warehouse } from '../../stores/warehouse/index.js';
import { toLoadBatches } from '../map.js';
import { landFileFast, loadFileFast, loadRawFast, loadRecordsFast } from './index.js';

/**
 * The fast path and the ordinary one (reader → mapper → Warehouse.load,
 * and through the raw store) load a file with bad input into the same rows
 * and the same rejected rows, with the same reasons.
 */

const mappings: FieldMappingInput[] = [
  { source: '$.id', target: 'id', type: 'integer', required: true },
  { source: '$.qty', target: 'qty', type: 'integer' },
  { source: '$.price', target: 'price', type: 'number' },
  { source: '$.name', target: 'name', type: 'string' },
  { source: '$.day', target: 'day', type: 'date' },
  { source: '$.at', target: 'at', type: 'timestamp' },
  { source: '$.ok', target: 'ok', type: 'boolean', default: false },
  { source: '$.meta', target: 'meta', type: 'json' },
  { source: '$.missing', target: 'missing', type: 'string' },
];

const GOOD = '1,5,9.99,"widget, large",2024-01-02,2024-01-02T03:04:05.678Z,true,"{""a"":1}"';

/** A CSV file with every kind of bad input among good rows, in LF and CRLF. */
function badFile(): Buffer {
  const lines = [
    'id,qty,price,name,day,at,ok,meta',
    GOOD,
    '2,-3,0.5,"two\nlines, quoted",2024-02-29,2024-02-29T23:59:59.999Z,f,"[1,2]"',
    '3,7,1.50,plain,2024-03-01,2024-03-01 10:00:00,yes,', // other shapes: the general path
    '4,12abc,1,stray text in a number,2024-03-01,,t,',
    '5,1,1,impossible date,2024-02-30,,t,',
    '6,1,1,impossible time,2024-03-01,2024-03-01T25:00:00.000Z,t,',
    '7,1,1,ragged',
    '8,1,1,too,many,fields,here,x,y,z',
    ',1,1,no id (required),2024-03-01,,t,',
    '10,1,1,"no ok (default)",2024-03-01,,,',
    '11,1,"1,234.5",separators,2024-03-01,,t,',
    '12,1,1,"tab\there and back\\slash",2024-03-01,,t,"""text"""',
    '13,1,1,"quoted ""inside""",2024-03-01,,t,"{""b"":""x\\""y""}"',
    '15,99999999999999999999,1,too big,2024-03-01,,t,',
    '16,1,1,"",2024-03-01,,t,""',
    '17,1,1e3,exponent,2024-03-01,,t,',
    '18,1,0.0000001,tiny,2024-03-01,,t,',
    '',
    '19,1,1,after a blank line,2024-03-01,,TRUE,',
  ];
  const head = Buffer.from(lines.join('\n') + '\r\n', 'utf8');
  const tail = Buffer.from('20,1,1,crlf row,2024-03-01,,t,\r\n21,1,1,caf', 'utf8');
  const badByte = Buffer.from([0xe9]);
  const end = Buffer.from(',2024-03-01,,t,\n' + Array.from({ length: 3000 }, (_, i) => GOOD.replace(/^1,/, `${100 + i},`)).join('\n') + '\n22,1,1,"never closed\n23,1,1,x,2024-03-01,,t,\n', 'utf8');
  return Buffer.concat([head, tail, badByte, end]);
}

describeEachDatabase('fast ingest path', (fx) => {
  const org = `fast_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fast-ingest-'));
  const file = path.join(dir, 'bad.csv');
  let warehouse: Warehouse;
  const load = (sourceId: string) => ({ writeMode: 'append' as const, runId: 'run-1', sourceId });

  beforeAll(async () => {
    writeFileSync(file, badFile());
    await fx.db.query('INSERT INTO orgs (id, name) VALUES ($1, $1)', [org]);
    warehouse = createWarehouse({
      db: fx.db,
      database: fx.kind === 'pglite' ? { kind: 'pglite', dataDir: '(in memory)' } : { kind: 'postgres', url: fx.url!, poolMax: 3 },
      prefix: 'orgdata_',
      spoolDir: dir,
    });
  });

  afterAll(async () => {
    await warehouse?.close();
    await rm(dir, { recursive: true, force: true });
    if (fx.kind === 'postgres') {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        await dropWithRetries(admin, `orgdata_${org}`);
      } finally {
        await admin.end();
      }
    }
  });

  /** The table's rows and rejected rows, as comparable values. */
  async function contents(table: string) {
    const { db, schema } = await warehouse.location(org);
    const { rows } = await db.query(
      `SELECT _sluice_row_number, id::text, qty::text, price::text, name, day::text, at::text, ok, meta::text, missing FROM ${qualify(schema, table)} ORDER BY _sluice_row_number`,
    );
    const { rows: rejected } = await db.query(
      `SELECT row_number, raw::text, field, reason FROM ${qualify(schema, rejectedTableName(table))} ORDER BY row_number, reason`,
    );
    return { rows, rejected };
  }

  it('file → table: the same rows and the same rejected rows with the same reasons', async () => {
    const mapper = createMapper(mappings);
    const ordinary = await warehouse.load(org, 'ordinary', toLoadBatches(mapper, readFile(file)), { ...load('f1'), columns: mapper.columns() });
    const fast = await loadFileFast(warehouse, org, 'fast', file, { ...load('f1'), mappings });
    expect({ loaded: fast.loaded, rejected: fast.rejected }).toEqual(ordinary);
    expect(ordinary.rejected).toBeGreaterThanOrEqual(10);
    expect(fast.summary.rowsRead).toBe(ordinary.loaded + ordinary.rejected);
    const [a, b] = [await contents('ordinary'), await contents('fast')];
    expect(b.rows).toEqual(a.rows);
    expect(b.rejected).toEqual(a.rejected);
    // The reasons the issue names, kept: ragged rows, stray text in numbers, impossible dates, an unclosed quote.
    const reasons = b.rejected.map((r) => String(r.reason)).join('\n');
    for (const expected of ['fields, the header has', 'is not an integer', 'out of range', 'is not a valid date', 'never closed', 'not valid UTF-8']) expect(reasons).toContain(expected);
  });

  it('file → raw → table: the same raw records, rows and rejected rows', async () => {
    const raw = new PostgresRawStore(fx.db);
    const a: RawSource = { kind: 'file', id: 'ordinary' };
    const b: RawSource = { kind: 'file', id: 'fast' };
    let readerRejected = 0;
    for await (const batch of readFile(file)) {
      await raw.writeBatch(org, 'landed', a, batch.records);
      readerRejected += batch.rejected.length;
    }
    let fastRejected = 0;
    const landed = await landFileFast(raw, org, 'landed', b, file, { onRejected: (rows) => void (fastRejected += rows.length) });
    expect(fastRejected).toBe(readerRejected);
    expect(landed.stored).toBe(await raw.count(org, 'landed', { source: a }));

    const records = async (source: RawSource) => {
      const out: { rowNumber: number; data: unknown }[] = [];
      for await (const rows of raw.read(org, 'landed', { source, batchSize: 700 })) out.push(...rows.map((r) => ({ rowNumber: r.rowNumber, data: r.data })));
      return out.sort((x, y) => x.rowNumber - y.rowNumber);
    };
    expect(await records(b)).toEqual(await records(a));

    async function* batches(source: RawSource) {
      for await (const rows of raw.read(org, 'landed', { source, batchSize: 700 })) yield { records: rows };
    }
    const mapper = createMapper(mappings);
    const ordinary = await warehouse.load(org, 'raw_ordinary', toLoadBatches(mapper, batches(a)), { ...load('r1'), columns: mapper.columns() });
    const fast = await loadRecordsFast(warehouse, org, 'raw_fast', batches(b), { ...load('r1'), mappings });
    expect(fast).toEqual(ordinary);
    const [x, y] = [await contents('raw_ordinary'), await contents('raw_fast')];
    expect(y.rows).toEqual(x.rows);
    expect(y.rejected).toEqual(x.rejected);

    // Reading the segments as JSON text (loadRawFast reads the raw table of the table it loads): the same again...
    const viaSegments = await loadRawFast(raw, warehouse, org, 'landed', { ...load('r1'), mappings, source: b });
    expect({ loaded: viaSegments.loaded, rejected: viaSegments.rejected }).toEqual(ordinary);
    expect(viaSegments.received).toBe(ordinary.loaded + ordinary.rejected);
    const z = await contents('landed');
    expect(z.rows).toEqual(x.rows);
    expect(z.rejected).toEqual(x.rejected);
    // ...and from a watermark in the middle of a segment, over both sources.
    const since = (await raw.highWatermark(org, 'landed')) - 4321;
    async function* after() {
      for await (const rows of raw.read(org, 'landed', { sinceWatermark: since })) yield { records: rows };
    }
    const tailOrdinary = await warehouse.load(org, 'since_ordinary', toLoadBatches(createMapper(mappings), after()), { ...load('r2'), columns: mapper.columns() });
    const tailFast = await loadRawFast(raw, warehouse, org, 'landed', { ...load('r2'), writeMode: 'replace', mappings, sinceWatermark: since });
    expect({ loaded: tailFast.loaded, rejected: tailFast.rejected }).toEqual(tailOrdinary);
    expect((await contents('landed')).rows).toEqual((await contents('since_ordinary')).rows);
    // Up to a watermark taken earlier: nothing written after it.
    const none = await loadRawFast(raw, warehouse, org, 'landed', { ...load('r3'), writeMode: 'replace', mappings, toWatermark: 0 });
    expect(none).toEqual({ loaded: 0, rejected: 0, received: 0 });
  });

  it('falls back to the ordinary path for a warehouse it does not know, and for auto mode', async () => {
    const fake: Warehouse = { ...warehouse, load: (o, t, batches, options) => warehouse.load(o, t, batches, options) } as Warehouse;
    const viaFake = await loadFileFast(fake, org, 'fake', file, { ...load('f2'), mappings });
    const mapper = createMapper(mappings);
    const ordinary = await warehouse.load(org, 'ordinary2', toLoadBatches(mapper, readFile(file)), { ...load('f2'), columns: mapper.columns() });
    expect({ loaded: viaFake.loaded, rejected: viaFake.rejected }).toEqual(ordinary);
    expect((await contents('fake')).rows).toEqual((await contents('ordinary2')).rows);
    await expect(loadFileFast(warehouse, org, 'auto', file, { ...load('f3'), mappings: [] })).rejects.toThrow(/field mappings/);
  });
});
