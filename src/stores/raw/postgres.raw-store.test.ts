import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../../test/helpers/databases.js';
import { MAX_SEGMENT_CHARS, PostgresRawStore, WRITE_CHUNK } from './postgres.raw-store.js';
import { rawStoreConformance } from './raw-store.conformance.js';

const FILE = { kind: 'file', id: 'f-1' } as const;

async function collect<T>(iterable: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of iterable) out.push(...batch);
  return out;
}

describeEachDatabase('PostgresRawStore', (fx) => {
  const addOrgs = async (ids: string[]) => {
    await fx.db.query(`INSERT INTO orgs (id, name) SELECT id, id FROM unnest($1::text[]) AS id ON CONFLICT DO NOTHING`, [ids]);
  };

  rawStoreConformance('conformance', async () => ({
    store: new PostgresRawStore(fx.db),
    orgs: addOrgs,
    cleanup: async () => undefined,
  }));

  describe('on PostgreSQL', () => {
    const store = () => new PostgresRawStore(fx.db);

    it('keeps the JSON text as JSON.stringify wrote it (key order and \\u0000 survive)', async () => {
      await addOrgs(['pg-text']);
      const data = { z: 1, a: 'x\u0000y', m: [1.5e-7, 1e300] };
      await store().writeBatch('pg-text', 'orders', FILE, [{ rowNumber: 1, data }]);
      const { rows } = await fx.db.query<{ data: string }>(`SELECT data FROM raw_segments WHERE org_id = 'pg-text'`);
      expect(rows.map((r) => r.data)).toEqual([JSON.stringify([data])]);
    });

    it('writeJsonBatch stores what writeBatch stores, once, and splits what is too big for a segment', async () => {
      await addOrgs(['pg-json']);
      const records = Array.from({ length: 12 }, (_, i) => ({ rowNumber: i + 1, data: { n: String(i), s: i % 3 === 0 ? null : `é "${i}"\n` } }));
      const viaJson = { kind: 'file', id: 'json' } as const;
      const small = new PostgresRawStore(fx.db, { writeChunk: 5 });
      await small.writeBatch('pg-json', 'orders', FILE, records);
      expect(await small.writeJsonBatch('pg-json', 'orders', viaJson, records.slice(0, 2).map((r) => r.rowNumber), JSON.stringify(records.slice(0, 2).map((r) => r.data)))).toBe(2);
      // Its UTF-8 bytes do as well.
      expect(await small.writeJsonBatch('pg-json', 'orders', viaJson, [3, 4], Buffer.from(JSON.stringify(records.slice(2, 4).map((r) => r.data)), 'utf8'))).toBe(2);
      // More rows than a segment holds, overlapping what is stored: split, and only the new rows stored.
      expect(await small.writeJsonBatch('pg-json', 'orders', viaJson, records.map((r) => r.rowNumber), JSON.stringify(records.map((r) => r.data)))).toBe(8);
      const strip = (rows: { rowNumber: number; data: unknown }[]) => rows.map((r) => ({ rowNumber: r.rowNumber, data: r.data }));
      expect(strip(await collect(small.read('pg-json', 'orders', { source: viaJson })))).toEqual(strip(await collect(small.read('pg-json', 'orders', { source: FILE }))));
      await expect(small.writeJsonBatch('pg-json', 'orders', viaJson, [1, 1], '[1,2]')).rejects.toThrow(/twice/);
    });

    it('keeps strings that are not well-formed UTF-16 (a lone surrogate)', async () => {
      await addOrgs(['pg-surrogate']);
      await store().writeBatch('pg-surrogate', 'orders', FILE, [{ rowNumber: 1, data: { s: 'a\ud800b' } }]);
      const [record] = await collect(store().read('pg-surrogate', 'orders'));
      expect(record!.data).toEqual({ s: 'a\ud800b' });
    });

    it('refuses records of an unknown organisation as not found', async () => {
      await expect(store().writeBatch('no-such-org', 'orders', FILE, [{ rowNumber: 1, data: {} }])).rejects.toMatchObject({ code: 'not_found' });
    });

    it('refuses data JSON cannot hold, and undefined', async () => {
      await addOrgs(['pg-bad-data']);
      await expect(store().writeBatch('pg-bad-data', 'orders', FILE, [{ rowNumber: 1, data: { n: 1n } }])).rejects.toMatchObject({
        code: 'validation_failed',
      });
      await expect(store().writeBatch('pg-bad-data', 'orders', FILE, [{ rowNumber: 1, data: undefined }])).rejects.toMatchObject({
        code: 'validation_failed',
        message: expect.stringContaining('records[0].data'),
      });
    });

    it('stores a large batch as segments of WRITE_CHUNK records, whole, in order, once', async () => {
      await addOrgs(['pg-chunks']);
      const size = WRITE_CHUNK * 2 + 17;
      const records = Array.from({ length: size }, (_, i) => ({ rowNumber: size - i, data: i }));
      expect(await store().writeBatch('pg-chunks', 'orders', FILE, records)).toBe(size);
      expect(await store().writeBatch('pg-chunks', 'orders', FILE, records)).toBe(0);
      const segments = await fx.db.query<{ row_count: number }>(
        `SELECT row_count FROM raw_segments WHERE org_id = 'pg-chunks' ORDER BY last_watermark`,
      );
      expect(segments.rows.map((r) => r.row_count)).toEqual([WRITE_CHUNK, WRITE_CHUNK, 17]);
      const read = await collect(store().read('pg-chunks', 'orders', { batchSize: 5000 }));
      expect(read.map((r) => r.data)).toEqual(records.map((r) => r.data));
    });

    it('stores only the new rows of an overlapping batch in its segment', async () => {
      await addOrgs(['pg-overlap']);
      const odd = Array.from({ length: 50 }, (_, i) => ({ rowNumber: 2 * i + 1, data: 'first' }));
      const all = Array.from({ length: 100 }, (_, i) => ({ rowNumber: i + 1, data: 'second' }));
      expect(await store().writeBatch('pg-overlap', 'orders', FILE, odd)).toBe(50);
      expect(await store().writeBatch('pg-overlap', 'orders', FILE, all)).toBe(50);
      const { rows } = await fx.db.query<{ row_numbers: number[]; data: string }>(
        `SELECT row_numbers, data FROM raw_segments WHERE org_id = 'pg-overlap' ORDER BY last_watermark`,
      );
      expect(rows[1]!.row_numbers).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i + 2));
      expect(JSON.parse(rows[1]!.data)).toEqual(Array.from({ length: 50 }, () => 'second'));
    });

    it('splits a chunk whose JSON would pass MAX_SEGMENT_CHARS', async () => {
      await addOrgs(['pg-large']);
      const big = 'x'.repeat(Math.ceil(MAX_SEGMENT_CHARS / 3));
      const records = [1, 2, 3, 4].map((rowNumber) => ({ rowNumber, data: { big } }));
      expect(await store().writeBatch('pg-large', 'orders', FILE, records)).toBe(4);
      const { rows } = await fx.db.query<{ row_count: number }>(`SELECT row_count FROM raw_segments WHERE org_id = 'pg-large' ORDER BY last_watermark`);
      expect(rows.map((r) => r.row_count)).toEqual([2, 2]);
      const read = await collect(store().read('pg-large', 'orders', { batchSize: 1 }));
      expect(read.map((r) => [r.rowNumber, (r.data as { big: string }).big.length])).toEqual([1, 2, 3, 4].map((n) => [n, big.length]));
    });

    it('removes an organisation\'s raw records with the organisation', async () => {
      await addOrgs(['pg-gone', 'pg-stays']);
      await store().writeBatch('pg-gone', 'orders', FILE, [{ rowNumber: 1, data: 1 }]);
      await store().writeBatch('pg-stays', 'orders', FILE, [{ rowNumber: 1, data: 1 }]);
      await fx.db.query(`DELETE FROM orgs WHERE id = 'pg-gone'`);
      for (const table of ['raw_tables', 'raw_sources', 'raw_segments']) {
        const { rows } = await fx.db.query<{ org_id: string }>(`SELECT org_id FROM ${table} WHERE org_id IN ('pg-gone', 'pg-stays')`);
        expect(rows, table).toEqual([{ org_id: 'pg-stays' }]);
      }
    });
  });
});
