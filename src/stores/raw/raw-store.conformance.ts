import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRecord, RawRecordInput, RawSource, RawStore } from './raw.store.js';

/**
 * The behaviour every RawStore must show, whatever keeps the records
 * (PostgreSQL today, MongoDB later). An implementation's test file calls
 * `rawStoreConformance` once per backend it can run on.
 */
export interface RawStoreFixture {
  store: RawStore;
  /** Makes these organisations exist (a store may refuse records of an unknown one). */
  orgs(ids: string[]): Promise<void>;
  /** Releases what the factory opened. */
  cleanup(): Promise<void>;
}

const FILE: RawSource = { kind: 'file', id: '0b6c2d36-5f0e-4c39-9a8f-2e1f6a0c1d01' };
const OTHER_FILE: RawSource = { kind: 'file', id: '0b6c2d36-5f0e-4c39-9a8f-2e1f6a0c1d02' };
const RUN: RawSource = { kind: 'run', id: '7d1e0c52-3b7a-4f7e-8a55-61c0a2b9e001' };

/** Records with row numbers `from..to` and data `{ n, ...extra }`. */
function rows(from: number, to: number, extra: Record<string, unknown> = {}): RawRecordInput[] {
  const out: RawRecordInput[] = [];
  for (let n = from; n <= to; n++) out.push({ rowNumber: n, data: { n, ...extra } });
  return out;
}

async function batchesOf(iterable: AsyncIterable<RawRecord[]>): Promise<RawRecord[][]> {
  const out: RawRecord[][] = [];
  for await (const batch of iterable) out.push(batch);
  return out;
}

async function all(iterable: AsyncIterable<RawRecord[]>): Promise<RawRecord[]> {
  return (await batchesOf(iterable)).flat();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asserts a `validation_failed` UserError whose message names `field`. */
async function rejectsNaming(promise: Promise<unknown>, field: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining(field) });
}

function expectIncreasing(records: RawRecord[]): void {
  for (let i = 1; i < records.length; i++) expect(records[i]!.watermark).toBeGreaterThan(records[i - 1]!.watermark);
}

/** Records as the sources of the world give them. */
const SAMPLES: unknown[] = [
  { id: 1, name: 'Ada', nested: { deep: { deeper: [1, { x: null }, [[]]] } }, tags: ['a', 'b'], empty: {}, none: [], missing: null },
  // Key order is a file's column order: it must come back as written.
  { zeta: 1, alpha: 2, mid: 3, b: 4, 'longer key': 5 },
  {
    text: 'naïve café — 東京 — مرحبا — 👩🏽‍🚀 — e\u0301 — \u2028',
    quoted: 'say "hi", it\'s a \\ back\nslash\ttab\r\n',
    nul: 'a\u0000b',
    control: '\u0001\u001f\u007f',
  },
  {
    maxSafe: Number.MAX_SAFE_INTEGER,
    minSafe: -Number.MAX_SAFE_INTEGER,
    huge: 1e300,
    tiny: 5e-324,
    inexact: 0.1 + 0.2,
    small: 1.5e-7,
    overSafe: 2 ** 63,
    digits: '123456789012345678901234567890',
    decimal: '0.10',
    zero: 0,
  },
  { 'a.b': 1, $ref: 'x', '': 'empty key', ' spaced ': true, 'ключ': 'значение' },
  null,
  'a plain string',
  42,
  -3.25,
  true,
  false,
  [],
  {},
  [1, 'two', null, { three: 3 }, [4]],
];

export function rawStoreConformance(name: string, factory: () => Promise<RawStoreFixture>): void {
  describe(name, () => {
    let fixture: RawStoreFixture | undefined;
    beforeAll(async () => {
      fixture = await factory();
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });

    const store = (): RawStore => {
      if (!fixture) throw new Error('raw store fixture not ready');
      return fixture.store;
    };
    /** Fresh organisations for one test, so tests never see each other's rows. */
    const newOrgs = async (count: number): Promise<string[]> => {
      const ids = Array.from({ length: count }, (_, i) => `rs-${randomBytes(5).toString('hex')}-${i}`);
      await fixture!.orgs(ids);
      return ids;
    };
    const newOrg = async (): Promise<string> => (await newOrgs(1))[0]!;

    describe('write and read', () => {
      it('returns every record exactly as written: nested, unicode, large numbers, nulls, key order', async () => {
        const org = await newOrg();
        const stored = await store().writeBatch(org, 'orders', FILE, SAMPLES.map((data, i) => ({ rowNumber: i + 1, data })));
        expect(stored).toBe(SAMPLES.length);
        const read = await all(store().read(org, 'orders'));
        expect(read.map((r) => r.rowNumber)).toEqual(SAMPLES.map((_, i) => i + 1));
        read.forEach((record, i) => {
          expect(record.data).toEqual(SAMPLES[i]);
          // Textual equality: same keys in the same order, same numbers.
          expect(JSON.stringify(record.data)).toBe(JSON.stringify(SAMPLES[i]));
        });
      });

      it('carries org, table, source, row number, ingest time and a positive integer watermark', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', RUN, [{ rowNumber: 7, data: { a: 1 } }]);
        const [record] = await all(store().read(org, 'orders'));
        expect(record).toMatchObject({ orgId: org, table: 'orders', source: RUN, rowNumber: 7, data: { a: 1 } });
        expect(record!.ingestedAt).toBeInstanceOf(Date);
        // The store's clock, not necessarily ours: allow for skew.
        expect(Math.abs(record!.ingestedAt.getTime() - Date.now())).toBeLessThan(5 * 60_000);
        expect(Number.isSafeInteger(record!.watermark) && record!.watermark > 0).toBe(true);
      });

      it('stores an empty batch as nothing', async () => {
        const org = await newOrg();
        expect(await store().writeBatch(org, 'orders', FILE, [])).toBe(0);
        expect(await store().count(org, 'orders')).toBe(0);
        expect(await batchesOf(store().read(org, 'orders'))).toEqual([]);
      });

      it('reads nothing from a table never written', async () => {
        const org = await newOrg();
        expect(await batchesOf(store().read(org, 'nothing_here'))).toEqual([]);
        expect(await batchesOf(store().read(org, 'nothing_here', { source: FILE }))).toEqual([]);
      });

      it('keeps tables of one organisation apart', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 3));
        await store().writeBatch(org, 'customers', FILE, rows(1, 2));
        expect((await all(store().read(org, 'orders'))).map((r) => r.table)).toEqual(['orders', 'orders', 'orders']);
        expect(await store().count(org, 'customers')).toBe(2);
      });
    });

    describe('idempotency', () => {
      it('stores a rewritten batch once and says how many rows were new', async () => {
        const org = await newOrg();
        expect(await store().writeBatch(org, 'orders', FILE, rows(1, 10))).toBe(10);
        const first = await all(store().read(org, 'orders'));
        expect(await store().writeBatch(org, 'orders', FILE, rows(1, 10))).toBe(0);
        expect(await store().count(org, 'orders')).toBe(10);
        // A retry neither moves nor duplicates what was stored.
        expect(await all(store().read(org, 'orders'))).toEqual(first);
      });

      it('stores only the new rows of an overlapping batch, and the first write of a row wins', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 10, { v: 'first' }));
        expect(await store().writeBatch(org, 'orders', FILE, rows(5, 15, { v: 'second' }))).toBe(5);
        const read = await all(store().read(org, 'orders'));
        expect(read.map((r) => r.rowNumber)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
        expect(read.find((r) => r.rowNumber === 5)!.data).toEqual({ n: 5, v: 'first' });
        expect(read.find((r) => r.rowNumber === 12)!.data).toEqual({ n: 12, v: 'second' });
      });

      it('keys rows by source: the same row number of another source or kind is another row', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 3));
        expect(await store().writeBatch(org, 'orders', OTHER_FILE, rows(1, 3))).toBe(3);
        expect(await store().writeBatch(org, 'orders', { kind: 'run', id: FILE.id }, rows(1, 3))).toBe(3);
        expect(await store().count(org, 'orders')).toBe(9);
      });

      it('stores concurrent overlapping writes of one source once each', async () => {
        const org = await newOrg();
        const results = await Promise.all([
          store().writeBatch(org, 'orders', FILE, rows(1, 50)),
          store().writeBatch(org, 'orders', FILE, rows(26, 75)),
          store().writeBatch(org, 'orders', FILE, rows(51, 100)),
          store().writeBatch(org, 'orders', FILE, rows(1, 100)),
          store().writeBatch(org, 'orders', RUN, rows(1, 20)),
        ]);
        expect(results.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(100);
        expect(results[4]).toBe(20);
        const read = await all(store().read(org, 'orders', { source: FILE }));
        expect(read.map((r) => r.rowNumber).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        const everything = await all(store().read(org, 'orders'));
        expect(everything).toHaveLength(120);
        expectIncreasing(everything);
      });
    });

    describe('watermarks', () => {
      it('orders rows by watermark across writes and sources, as they were written', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 3));
        await store().writeBatch(org, 'orders', RUN, rows(1, 2));
        await store().writeBatch(org, 'orders', FILE, rows(4, 5));
        const read = await all(store().read(org, 'orders'));
        expect(read.map((r) => `${r.source.kind}:${r.rowNumber}`)).toEqual(['file:1', 'file:2', 'file:3', 'run:1', 'run:2', 'file:4', 'file:5']);
        expectIncreasing(read);
      });

      it('gives a batch its watermarks in the order of the records, not of their row numbers', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, [3, 1, 2].map((rowNumber) => ({ rowNumber, data: rowNumber })));
        expect((await all(store().read(org, 'orders'))).map((r) => r.rowNumber)).toEqual([3, 1, 2]);
      });

      it('resumes after a watermark', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 10));
        const first = await all(store().read(org, 'orders'));
        const third = first[2]!.watermark;
        expect((await all(store().read(org, 'orders', { sinceWatermark: third }))).map((r) => r.rowNumber)).toEqual([4, 5, 6, 7, 8, 9, 10]);
        expect(await all(store().read(org, 'orders', { sinceWatermark: 0 }))).toEqual(first);

        const high = await store().highWatermark(org, 'orders');
        expect(high).toBe(first[9]!.watermark);
        expect(await batchesOf(store().read(org, 'orders', { sinceWatermark: high }))).toEqual([]);
        await store().writeBatch(org, 'orders', RUN, rows(1, 5));
        const next = await all(store().read(org, 'orders', { sinceWatermark: high }));
        expect(next.map((r) => `${r.source.kind}:${r.rowNumber}`)).toEqual(['run:1', 'run:2', 'run:3', 'run:4', 'run:5']);
        expect(next[0]!.watermark).toBeGreaterThan(high);
      });

      it('reports the high watermark: 0 when empty, unchanged by a retry, per table', async () => {
        const org = await newOrg();
        expect(await store().highWatermark(org, 'orders')).toBe(0);
        await store().writeBatch(org, 'orders', FILE, rows(1, 4));
        const high = await store().highWatermark(org, 'orders');
        expect(high).toBe((await all(store().read(org, 'orders'))).at(-1)!.watermark);
        await store().writeBatch(org, 'orders', FILE, rows(1, 4));
        expect(await store().highWatermark(org, 'orders')).toBe(high);
        expect(await store().highWatermark(org, 'customers')).toBe(0);
      });

      it('never reuses a watermark, even after retention emptied the table', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 5));
        const high = await store().highWatermark(org, 'orders');
        await sleep(20);
        expect(await store().deleteOlderThan(org, new Date(Date.now() + 60 * 60_000))).toBe(5);
        expect(await store().highWatermark(org, 'orders')).toBe(0);
        // The rows' keys are free again, and the new rows come after anything read before.
        expect(await store().writeBatch(org, 'orders', FILE, rows(1, 5))).toBe(5);
        const again = await all(store().read(org, 'orders', { sinceWatermark: high }));
        expect(again).toHaveLength(5);
        expect(again[0]!.watermark).toBeGreaterThan(high);
      });
    });

    describe('reading', () => {
      it('filters by source, in watermark order, with or without a watermark', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 5));
        await store().writeBatch(org, 'orders', RUN, rows(1, 3));
        await store().writeBatch(org, 'orders', OTHER_FILE, rows(1, 2));
        await store().writeBatch(org, 'orders', FILE, rows(6, 8));
        const file = await all(store().read(org, 'orders', { source: FILE }));
        expect(file.map((r) => r.rowNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(file.every((r) => r.source.kind === 'file' && r.source.id === FILE.id)).toBe(true);
        expectIncreasing(file);
        expect((await all(store().read(org, 'orders', { source: RUN }))).map((r) => r.rowNumber)).toEqual([1, 2, 3]);

        const since = file[4]!.watermark;
        expect((await all(store().read(org, 'orders', { source: FILE, sinceWatermark: since }))).map((r) => r.rowNumber)).toEqual([6, 7, 8]);
        expect(await batchesOf(store().read(org, 'orders', { source: { kind: 'file', id: 'no-such-file' } }))).toEqual([]);
        expect(await batchesOf(store().read(org, 'orders', { source: { kind: 'run', id: FILE.id } }))).toEqual([]);
      });

      it('yields batches of the requested size, every row once, never an empty batch', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 25));
        const sizes = async (batchSize: number) => (await batchesOf(store().read(org, 'orders', { batchSize }))).map((b) => b.length);
        expect(await sizes(10)).toEqual([10, 10, 5]);
        expect(await sizes(5)).toEqual([5, 5, 5, 5, 5]);
        expect(await sizes(1)).toEqual(Array.from({ length: 25 }, () => 1));
        expect(await sizes(100)).toEqual([25]);
        const rowNumbers = (await all(store().read(org, 'orders', { batchSize: 4 }))).map((r) => r.rowNumber);
        expect(rowNumbers).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      });

      it('batches a source filter and a resumed read alike', async () => {
        const org = await newOrg();
        for (let i = 0; i < 4; i++) {
          await store().writeBatch(org, 'orders', FILE, rows(i * 5 + 1, i * 5 + 5));
          await store().writeBatch(org, 'orders', RUN, rows(i * 5 + 1, i * 5 + 5));
        }
        const bySource = await batchesOf(store().read(org, 'orders', { source: RUN, batchSize: 6 }));
        expect(bySource.map((b) => b.length)).toEqual([6, 6, 6, 2]);
        expect(bySource.flat().map((r) => r.rowNumber)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const since = bySource[0]![5]!.watermark;
        const resumed = await batchesOf(store().read(org, 'orders', { source: RUN, sinceWatermark: since, batchSize: 6 }));
        expect(resumed.map((b) => b.length)).toEqual([6, 6, 2]);
      });

      it('fills batches across the gaps deletes leave', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 10));
        await store().writeBatch(org, 'orders', RUN, rows(1, 3000));
        await store().writeBatch(org, 'orders', FILE, rows(11, 20));
        await store().writeBatch(org, 'orders', OTHER_FILE, rows(1, 5000));
        await store().writeBatch(org, 'orders', FILE, rows(21, 22));
        expect(await store().deleteSource(org, 'orders', RUN)).toBe(3000);
        expect(await store().deleteSource(org, 'orders', OTHER_FILE)).toBe(5000);
        const batches = await batchesOf(store().read(org, 'orders', { batchSize: 4 }));
        expect(batches.map((b) => b.length)).toEqual([4, 4, 4, 4, 4, 2]);
        expect(batches.flat().map((r) => r.rowNumber)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
        // A source whose rows sit far apart is read in full batches too.
        await store().writeBatch(org, 'orders', RUN, rows(1, 4000));
        await store().writeBatch(org, 'orders', FILE, rows(23, 25));
        const file = await batchesOf(store().read(org, 'orders', { source: FILE, batchSize: 5 }));
        expect(file.map((b) => b.length)).toEqual([5, 5, 5, 5, 5]);
      });

      it('uses batches of 1000 by default', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 2500));
        expect((await batchesOf(store().read(org, 'orders'))).map((b) => b.length)).toEqual([1000, 1000, 500]);
      });

      it('reads up to where the table was when reading began, holding nothing open between batches', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 6));
        const seen: number[] = [];
        let last = 0;
        for await (const batch of store().read(org, 'orders', { batchSize: 2 })) {
          seen.push(...batch.map((r) => r.rowNumber));
          last = batch.at(-1)!.watermark;
          // Other work on the store while a read is under way must not wait on it.
          if (seen.length === 2) {
            await store().writeBatch(org, 'orders', FILE, rows(7, 10));
            expect(await store().count(org, 'orders')).toBe(10);
          }
        }
        expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
        expect((await all(store().read(org, 'orders', { sinceWatermark: last }))).map((r) => r.rowNumber)).toEqual([7, 8, 9, 10]);
      });

      it('lets a reader stop early', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 30));
        let batches = 0;
        for await (const batch of store().read(org, 'orders', { batchSize: 10 })) {
          expect(batch).toHaveLength(10);
          if (++batches === 2) break;
        }
        expect(batches).toBe(2);
        expect(await store().writeBatch(org, 'orders', FILE, rows(31, 31))).toBe(1);
      });

      it('streams 100,000 rows in batches of the requested size, each row once', { timeout: 180_000 }, async () => {
        const org = await newOrg();
        const total = 100_000;
        for (let from = 1; from <= total; from += 10_000) {
          const batch: RawRecordInput[] = [];
          for (let n = from; n < from + 10_000; n++) batch.push({ rowNumber: n, data: { n, name: `row ${n}` } });
          expect(await store().writeBatch(org, 'big_table', FILE, batch)).toBe(10_000);
        }
        const seen = new Uint8Array(total + 1);
        const sizes: number[] = [];
        let previous = 0;
        for await (const batch of store().read(org, 'big_table', { batchSize: 7000 })) {
          sizes.push(batch.length);
          for (const record of batch) {
            expect(record.watermark > previous).toBe(true);
            previous = record.watermark;
            seen[record.rowNumber]! += 1;
          }
        }
        expect(sizes).toEqual([...Array.from({ length: 14 }, () => 7000), 2000]);
        expect(seen.subarray(1).every((v) => v === 1)).toBe(true);
        expect(await store().count(org, 'big_table')).toBe(total);
      });
    });

    describe('counting', () => {
      it('counts a table, a source, and what came after a watermark', async () => {
        const org = await newOrg();
        expect(await store().count(org, 'orders')).toBe(0);
        await store().writeBatch(org, 'orders', FILE, rows(1, 6));
        await store().writeBatch(org, 'orders', RUN, rows(1, 4));
        const read = await all(store().read(org, 'orders'));
        expect(await store().count(org, 'orders')).toBe(10);
        expect(await store().count(org, 'orders', { source: FILE })).toBe(6);
        expect(await store().count(org, 'orders', { source: RUN })).toBe(4);
        expect(await store().count(org, 'orders', { source: OTHER_FILE })).toBe(0);
        expect(await store().count(org, 'orders', { sinceWatermark: read[3]!.watermark })).toBe(6);
        expect(await store().count(org, 'orders', { source: FILE, sinceWatermark: read[3]!.watermark })).toBe(2);
        expect(await store().count(org, 'orders', { sinceWatermark: read[9]!.watermark })).toBe(0);
      });
    });

    describe('deleting', () => {
      it('deletes rows ingested before a time, of one table or of all', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 4));
        await store().writeBatch(org, 'customers', FILE, rows(1, 3));
        const old = [...(await all(store().read(org, 'orders'))), ...(await all(store().read(org, 'customers')))];
        // The cut-off comes from the store's own clock, so the test holds whatever the skew.
        const cutoff = new Date(Math.max(...old.map((r) => r.ingestedAt.getTime())) + 1);
        await sleep(150);
        await store().writeBatch(org, 'orders', RUN, rows(1, 2));
        await store().writeBatch(org, 'customers', RUN, rows(1, 2));

        expect(await store().deleteOlderThan(org, new Date(cutoff.getTime() - 24 * 60 * 60_000))).toBe(0);
        expect(await store().deleteOlderThan(org, cutoff, 'orders')).toBe(4);
        expect((await all(store().read(org, 'orders'))).map((r) => r.source.kind)).toEqual(['run', 'run']);
        expect(await store().count(org, 'customers')).toBe(5);
        expect(await store().deleteOlderThan(org, cutoff)).toBe(3);
        expect(await store().count(org, 'customers')).toBe(2);
        expect(await batchesOf(store().read(org, 'orders', { source: FILE }))).toEqual([]);
        expect(await store().count(org, 'orders', { source: RUN })).toBe(2);
      });

      it('deletes one source of one table', async () => {
        const org = await newOrg();
        await store().writeBatch(org, 'orders', FILE, rows(1, 5));
        await store().writeBatch(org, 'orders', RUN, rows(1, 3));
        await store().writeBatch(org, 'customers', FILE, rows(1, 2));
        expect(await store().deleteSource(org, 'orders', FILE)).toBe(5);
        expect((await all(store().read(org, 'orders'))).map((r) => r.source)).toEqual([RUN, RUN, RUN]);
        expect(await store().count(org, 'customers', { source: FILE })).toBe(2);
        expect(await store().deleteSource(org, 'orders', FILE)).toBe(0);
        // Deleted rows may be written again (a replayed upload).
        expect(await store().writeBatch(org, 'orders', FILE, rows(1, 5))).toBe(5);
        expect((await all(store().read(org, 'orders', { source: FILE }))).map((r) => r.rowNumber)).toEqual([1, 2, 3, 4, 5]);
      });
    });

    describe('organisation isolation', () => {
      it('never shows, counts, blocks or deletes one organisation\'s rows for another, whatever the names', async () => {
        const [a, b] = (await newOrgs(2)) as [string, string];
        await store().writeBatch(a, 'orders', FILE, rows(1, 5, { org: 'a' }));
        await store().writeBatch(a, 'only_a', FILE, rows(1, 2, { org: 'a' }));
        // Same table, source and row numbers: B's rows are B's own, not duplicates of A's.
        expect(await store().writeBatch(b, 'orders', FILE, rows(1, 3, { org: 'b' }))).toBe(3);

        const seenByB = await all(store().read(b, 'orders'));
        expect(seenByB.map((r) => r.data)).toEqual([1, 2, 3].map((n) => ({ n, org: 'b' })));
        expect(seenByB.every((r) => r.orgId === b)).toBe(true);
        expect(await all(store().read(b, 'orders', { source: FILE }))).toHaveLength(3);
        expect(await all(store().read(b, 'orders', { sinceWatermark: 0, batchSize: 1 }))).toHaveLength(3);
        expect(await batchesOf(store().read(b, 'only_a'))).toEqual([]);
        expect(await store().count(b, 'orders')).toBe(3);
        expect(await store().count(b, 'only_a')).toBe(0);
        expect(await store().highWatermark(b, 'only_a')).toBe(0);

        expect(await store().deleteSource(b, 'orders', FILE)).toBe(3);
        expect(await store().deleteSource(b, 'only_a', FILE)).toBe(0);
        expect(await store().deleteOlderThan(b, new Date(Date.now() + 60 * 60_000))).toBe(0);
        expect(await store().count(a, 'orders')).toBe(5);
        expect(await store().count(a, 'only_a')).toBe(2);
        expect((await all(store().read(a, 'orders'))).every((r) => r.orgId === a && (r.data as { org: string }).org === 'a')).toBe(true);
      });
    });

    describe('validation', () => {
      it('refuses organisation and source ids that could not be stored as given (a lone surrogate, NUL)', async () => {
        const org = await newOrg();
        // A lone surrogate becomes U+FFFD on the way to the database: two ids would become one.
        await rejectsNaming(store().writeBatch('org\ud800', 'orders', FILE, rows(1, 1)), 'orgId');
        await rejectsNaming(store().count('org\u0000x', 'orders'), 'orgId');
        await rejectsNaming(store().writeBatch(org, 'orders', { kind: 'file', id: 'f\udc00' }, rows(1, 1)), 'source.id');
        await rejectsNaming(store().deleteSource(org, 'orders', { kind: 'run', id: 'r\u0000' }), 'source.id');
      });

      it('refuses an empty organisation', async () => {
        await rejectsNaming(store().writeBatch('', 'orders', FILE, rows(1, 1)), 'orgId');
        await rejectsNaming(store().count('', 'orders'), 'orgId');
        await rejectsNaming(store().highWatermark('', 'orders'), 'orgId');
        await rejectsNaming(store().deleteOlderThan('', new Date()), 'orgId');
        await rejectsNaming(store().deleteSource('', 'orders', FILE), 'orgId');
        await rejectsNaming(all(store().read('', 'orders')), 'orgId');
      });

      it.each(['', 'Orders', '1st', 'a-b', 'a b', 'orders;drop', '_sluice_rows', 'x'.repeat(64)])('refuses the table name %j', async (table) => {
        const org = await newOrg();
        await rejectsNaming(store().writeBatch(org, table, FILE, rows(1, 1)), 'table');
        await rejectsNaming(all(store().read(org, table)), 'table');
        await rejectsNaming(store().count(org, table), 'table');
        await rejectsNaming(store().highWatermark(org, table), 'table');
        await rejectsNaming(store().deleteOlderThan(org, new Date(), table), 'table');
        await rejectsNaming(store().deleteSource(org, table, FILE), 'table');
      });

      it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '3'])('refuses the row number %j', async (rowNumber) => {
        const org = await newOrg();
        const records = [{ rowNumber: 1, data: 1 }, { rowNumber: rowNumber as number, data: 2 }];
        await rejectsNaming(store().writeBatch(org, 'orders', FILE, records), 'records[1].rowNumber');
        // Nothing of a refused batch is stored.
        expect(await store().count(org, 'orders')).toBe(0);
      });

      it('refuses a row number twice in one batch', async () => {
        const org = await newOrg();
        await rejectsNaming(store().writeBatch(org, 'orders', FILE, [...rows(1, 3), { rowNumber: 2, data: 'again' }]), 'records[3].rowNumber');
        expect(await store().count(org, 'orders')).toBe(0);
      });

      it('refuses a bad source', async () => {
        const org = await newOrg();
        await rejectsNaming(store().writeBatch(org, 'orders', { kind: 'upload' as 'file', id: 'x' }, rows(1, 1)), 'source.kind');
        await rejectsNaming(store().writeBatch(org, 'orders', { kind: 'file', id: '' }, rows(1, 1)), 'source.id');
        await rejectsNaming(store().deleteSource(org, 'orders', { kind: 'run', id: '' }), 'source.id');
        await rejectsNaming(store().count(org, 'orders', { source: { kind: 'run', id: '' } }), 'source.id');
        await rejectsNaming(all(store().read(org, 'orders', { source: { kind: 'x' as 'run', id: 'r' } })), 'source.kind');
      });

      it('refuses bad read options and a bad retention date', async () => {
        const org = await newOrg();
        for (const batchSize of [0, -5, 2.5]) await rejectsNaming(all(store().read(org, 'orders', { batchSize })), 'batchSize');
        for (const sinceWatermark of [-1, 0.5]) await rejectsNaming(all(store().read(org, 'orders', { sinceWatermark })), 'sinceWatermark');
        await rejectsNaming(store().count(org, 'orders', { sinceWatermark: -1 }), 'sinceWatermark');
        await rejectsNaming(store().deleteOlderThan(org, new Date('not a date')), 'before');
      });
    });
  });
}
