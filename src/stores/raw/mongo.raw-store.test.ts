import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MONGO_URI, testMongoDatabase } from '../../../test/helpers/mongo.js';
import { decodeRuns, encodeRuns, hostsOf, MAX_PART_CHARS, MongoRawStore } from './mongo.raw-store.js';
import { rawStoreConformance } from './raw-store.conformance.js';
import type { RawRecord, RawSource } from './raw.store.js';

const FILE: RawSource = { kind: 'file', id: 'f-1' };

async function collect(iterable: AsyncIterable<RawRecord[]>): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const batch of iterable) out.push(...batch);
  return out;
}

const rows = (from: number, to: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ rowNumber: from + i, data: { n: from + i, ...extra } }));

describe('row number runs', () => {
  it('round-trips any order in few numbers for the usual ones', () => {
    const cases = [[], [1], [1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [3, 1, 2], [1, 3, 5, 6, 7, 10, 9, 8, 2], [2 ** 31 - 1, 1]];
    for (const rowNumbers of cases) expect(decodeRuns(encodeRuns(rowNumbers))).toEqual(rowNumbers);
    expect(encodeRuns(Array.from({ length: 5000 }, (_, i) => i + 1))).toEqual([1, 5000]);
    expect(encodeRuns(Array.from({ length: 5000 }, (_, i) => 5000 - i))).toEqual([5000, -5000]);
  });
});

describe('MongoDB connection strings', () => {
  it('names the hosts only', () => {
    expect(hostsOf('mongodb://user:p%40ss@db1:27017,db2:27018/client_data?authSource=admin')).toBe('db1:27017,db2:27018');
    expect(hostsOf('mongodb+srv://u:secret@cluster0.example.net/?retryWrites=true')).toBe('cluster0.example.net');
    expect(hostsOf('mongodb://127.0.0.1')).toBe('127.0.0.1');
  });

  it('says a server is unreachable without repeating the credentials', async () => {
    const uri = 'mongodb://raw-user:S3cr%3At-pw@127.0.0.1:1/client_data?authSource=admin';
    const error = await MongoRawStore.connect({ uri, connectTimeoutMs: 500 }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; retryable?: boolean },
    );
    expect(error).toMatchObject({ code: 'database_unavailable', retryable: true });
    expect(error!.message).toContain('MongoDB server unreachable at 127.0.0.1:1');
    for (const secret of ['raw-user', 'S3cr', 'S3cr:t-pw', 't-pw']) expect(error!.message).not.toContain(secret);
  });

  it('refuses a malformed URI without repeating it', async () => {
    await expect(MongoRawStore.connect({ uri: 'mongodb://u:hunter2@/' })).rejects.toMatchObject({
      code: 'invalid_settings',
      message: expect.not.stringContaining('hunter2'),
    });
  });
});

describe.skipIf(!TEST_MONGO_URI)('MongoRawStore', () => {
  const database = testMongoDatabase('sluice_raw_t');
  let admin: MongoClient;
  let db: Db;
  const stores: MongoRawStore[] = [];
  const open = async (options: Partial<Parameters<typeof MongoRawStore.connect>[0]> = {}) => {
    const store = await MongoRawStore.connect({ uri: TEST_MONGO_URI!, database, appName: 'sluice-test', ...options });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    admin = new MongoClient(TEST_MONGO_URI!);
    await admin.connect();
    db = admin.db(database);
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await db?.dropDatabase();
    await admin?.close();
  });

  rawStoreConformance('conformance', async () => ({
    store: await open(),
    // MongoDB knows no organisations: any org id is accepted.
    orgs: async () => undefined,
    cleanup: async () => undefined,
  }));

  describe('on MongoDB', () => {
    /** The documents of one table's collections. */
    const collections = async (org: string, table: string) => {
      const entry = await db.collection<{ _id: string; o: string; t: string; headers: string; data: string }>('raw_tables').findOne({ o: org, t: table });
      if (!entry) throw new Error(`no catalogue entry for ${org}/${table}`);
      return { key: entry._id, headers: db.collection<{ _id: number; [k: string]: unknown }>(entry.headers), data: db.collection<{ _id: string; [k: string]: unknown }>(entry.data), entry };
    };

    it('gives every organisation and table its own safely named collections, whatever the org id', async () => {
      const store = await open();
      const hostile = [
        'a.b',
        '$where',
        'system.profile',
        '../../etc/passwd',
        "o'; db.dropDatabase(); //",
        'x'.repeat(500),
        'é 東京 👩🏽‍🚀',
        '{"$gt": ""}',
        'raw_tables',
        'a',
        'a ',
        ' a',
      ];
      for (const [i, org] of hostile.entries()) {
        expect(await store.writeBatch(org, 'orders', FILE, rows(1, 3, { org: i }))).toBe(3);
      }
      const names = new Set<string>();
      for (const [i, org] of hostile.entries()) {
        const read = await collect(store.read(org, 'orders'));
        expect(read.map((r) => r.data)).toEqual([1, 2, 3].map((n) => ({ n, org: i })));
        expect(read.every((r) => r.orgId === org)).toBe(true);
        const { headers, data, entry } = await collections(org, 'orders');
        expect(headers.collectionName).toMatch(/^raw\.orders\.[0-9a-f]{32}$/);
        expect(data.collectionName).toBe(`${headers.collectionName}.data`);
        expect(entry.o).toBe(org);
        names.add(headers.collectionName);
        // Every document carries its organisation.
        expect((await headers.find({}).toArray()).every((d) => d.o === org)).toBe(true);
        expect((await data.find({}).toArray()).every((d) => d.o === org)).toBe(true);
      }
      expect(names.size).toBe(hostile.length);
      // A table name is part of the key too.
      await store.writeBatch('a', 'customers', FILE, rows(1, 1));
      expect((await collections('a', 'customers')).headers.collectionName).not.toBe((await collections('a', 'orders')).headers.collectionName);
    });

    it('refuses org ids and source ids MongoDB would store as something else', async () => {
      const store = await open();
      for (const org of ['a\u0000b', 'lone \ud800 surrogate']) {
        await expect(store.writeBatch(org, 'orders', FILE, rows(1, 1))).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('orgId') });
        await expect(store.count(org, 'orders')).rejects.toMatchObject({ code: 'validation_failed' });
      }
      await expect(store.writeBatch('ok-org', 'orders', { kind: 'file', id: 'x\udc00' }, rows(1, 1))).rejects.toMatchObject({
        code: 'validation_failed',
        message: expect.stringContaining('source.id'),
      });
    });

    it('keeps the JSON text as JSON.stringify wrote it: NUL, nested arrays, dotted and $ keys survive', async () => {
      const store = await open();
      const data = { z: 1, a: 'x\u0000y', 'a.b': [[1, [2]], []], $ref: { $gt: 1 }, m: [1.5e-7, 1e300, 2 ** 63] };
      await store.writeBatch('mongo-text', 'orders', FILE, [{ rowNumber: 1, data }]);
      const { data: parts } = await collections('mongo-text', 'orders');
      expect((await parts.find({}).toArray()).map((d) => d.j)).toEqual([JSON.stringify([data])]);
      const [record] = await collect(store.read('mongo-text', 'orders'));
      expect(JSON.stringify(record!.data)).toBe(JSON.stringify(data));
    });

    it('stores a large batch as one header and parts of writeChunk records, whole, in order, once', async () => {
      const store = await open({ writeChunk: 1000 });
      const size = 2517;
      const records = Array.from({ length: size }, (_, i) => ({ rowNumber: size - i, data: i }));
      expect(await store.writeBatch('mongo-chunks', 'orders', FILE, records)).toBe(size);
      expect(await store.writeBatch('mongo-chunks', 'orders', FILE, records)).toBe(0);
      const { headers, data } = await collections('mongo-chunks', 'orders');
      const all = await headers.find({}).toArray();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ n: size, pn: [1000, 1000, 517], lo: 1, hi: size });
      expect(await data.countDocuments({})).toBe(3);
      const read = await collect(store.read('mongo-chunks', 'orders', { batchSize: 700 }));
      expect(read.map((r) => r.data)).toEqual(records.map((r) => r.data));
      expect(read.map((r) => r.rowNumber)).toEqual(records.map((r) => r.rowNumber));
      // Resuming in the middle of a part.
      expect((await collect(store.read('mongo-chunks', 'orders', { sinceWatermark: read[1500]!.watermark }))).map((r) => r.data)).toEqual(records.slice(1501).map((r) => r.data));
    });

    it('splits a record larger than a document may hold into pieces and reads it back', async () => {
      const store = await open();
      const big = 'é'.repeat(MAX_PART_CHARS + 123) + '👩🏽‍🚀'.repeat(1000);
      const records = [1, 2, 3].map((rowNumber) => ({ rowNumber, data: rowNumber === 2 ? { big } : { small: rowNumber } }));
      expect(await store.writeBatch('mongo-large', 'orders', FILE, records)).toBe(3);
      const { headers } = await collections('mongo-large', 'orders');
      const [header] = await headers.find({}).toArray();
      expect(header).toMatchObject({ pn: [1, 1, 1], pc: [1, 2, 1] });
      const read = await collect(store.read('mongo-large', 'orders', { batchSize: 1 }));
      expect(read.map((r) => r.data)).toEqual(records.map((r) => r.data));
    });

    it('refuses records of an unknown organisation when told which exist', async () => {
      const known = new Set(['mongo-known']);
      const store = await open({ orgExists: async (id) => known.has(id) });
      await expect(store.writeBatch('mongo-unknown', 'orders', FILE, rows(1, 1))).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('Organisation') });
      expect(await store.writeBatch('mongo-known', 'orders', FILE, rows(1, 1))).toBe(1);
    });

    it('removes everything of one organisation, and nothing of another', async () => {
      const store = await open();
      await store.writeBatch('mongo-gone', 'orders', FILE, rows(1, 2));
      await store.writeBatch('mongo-gone', 'customers', FILE, rows(1, 2));
      await store.writeBatch('mongo-stays', 'orders', FILE, rows(1, 2));
      const gone = await collections('mongo-gone', 'orders');
      expect(await store.deleteOrg('mongo-gone')).toBe(2);
      const names = (await db.listCollections().toArray()).map((c) => c.name);
      expect(names).not.toContain(gone.headers.collectionName);
      expect(names).not.toContain(gone.data.collectionName);
      expect(await db.collection('raw_tables').countDocuments({ o: 'mongo-gone' })).toBe(0);
      expect(await db.collection('raw_leases').countDocuments({ o: 'mongo-gone' })).toBe(0);
      expect(await store.count('mongo-gone', 'orders')).toBe(0);
      expect(await store.count('mongo-stays', 'orders')).toBe(2);
    });

    describe('the writer lease', () => {
      /** Pretends a writer took the next epoch of the table's lease and died: `until` already past. */
      const crashedWriter = async (org: string, table: string, extra: (base: number) => Promise<void> = async () => undefined) => {
        const { key } = await collections(org, table);
        const leases = db.collection<{ _id: string; e: number; base: number; done?: boolean; high?: number }>('raw_leases');
        const [latest] = await leases.find({ o: org, h: key }).sort({ e: -1 }).limit(1).toArray();
        const base = latest!.high!;
        await leases.insertOne({ _id: `${key}:${latest!.e + 1}`, o: org, h: key, e: latest!.e + 1, base, until: new Date(Date.now() - 1000), token: 'crashed' } as never);
        await extra(base);
        return base;
      };

      it('is taken over once a crashed writer\'s lease expires; its uncommitted batch never appears and its place is fenced', async () => {
        const store = await open({ leaseMs: 1000 });
        await store.writeBatch('mongo-lease', 'orders', FILE, rows(1, 3));
        const { headers, data } = await collections('mongo-lease', 'orders');
        // The dead writer had stored its data but not its header.
        const base = await crashedWriter('mongo-lease', 'orders', async (b) => {
          await data.insertOne({ _id: `${b + 1}:0`, o: 'mongo-lease', g: b + 1, k: 'file', s: 'dead', i: new Date(), r: [1, 1], j: '["dead"]' });
        });
        expect(await store.writeBatch('mongo-lease', 'orders', FILE, rows(4, 5))).toBe(2);
        const read = await collect(store.read('mongo-lease', 'orders'));
        expect(read.map((r) => r.rowNumber)).toEqual([1, 2, 3, 4, 5]);
        // Watermarks stay unique and increasing; the dead writer's place is a tombstone, so its late commit fails.
        expect(read[3]!.watermark).toBeGreaterThan(base + 1);
        expect(await headers.findOne({ _id: base + 1 })).toMatchObject({ n: 0, t: true });
        expect(await data.countDocuments({ s: 'dead' })).toBe(0);
        await expect(headers.insertOne({ _id: base + 1, o: 'mongo-lease', l: base + 1, n: 1, k: 'file', s: 'dead' })).rejects.toMatchObject({ code: 11000 });
        expect(await store.count('mongo-lease', 'orders')).toBe(5);
        expect(await store.highWatermark('mongo-lease', 'orders')).toBe(read[4]!.watermark);
      });

      it('keeps the batch of a writer that committed and died before releasing', async () => {
        const store = await open({ leaseMs: 1000 });
        await store.writeBatch('mongo-lease2', 'orders', FILE, rows(1, 2));
        const { headers, data } = await collections('mongo-lease2', 'orders');
        const base = await crashedWriter('mongo-lease2', 'orders', async (b) => {
          const i = new Date();
          await data.insertOne({ _id: `${b + 1}:0`, o: 'mongo-lease2', g: b + 1, k: 'run', s: 'r', i, r: [1, 2], j: '[{"late":1},{"late":2}]' });
          await headers.insertOne({ _id: b + 1, o: 'mongo-lease2', l: b + 2, n: 2, i, k: 'run', s: 'r', lo: 1, hi: 2, pn: [2], plo: [1], phi: [2], pc: [1], w: 'crashed' });
        });
        expect(await store.writeBatch('mongo-lease2', 'orders', FILE, rows(3, 3))).toBe(1);
        const read = await collect(store.read('mongo-lease2', 'orders'));
        expect(read.map((r) => `${r.source.kind}:${r.rowNumber}`)).toEqual(['file:1', 'file:2', 'run:1', 'run:2', 'file:3']);
        expect(read.map((r) => r.watermark)).toEqual([base - 1, base, base + 1, base + 2, base + 3]);
      });

      it('makes a writer wait for a live lease, and gives up with a transient error', async () => {
        const waiting = await open({ leaseMs: 60_000, leaseWaitMs: 300 });
        await waiting.writeBatch('mongo-busy', 'orders', FILE, rows(1, 1));
        const { key } = await collections('mongo-busy', 'orders');
        const leases = db.collection('raw_leases');
        const [latest] = await leases.find({ o: 'mongo-busy', h: key }).sort({ e: -1 }).limit(1).toArray();
        await leases.insertOne({ _id: `${key}:${latest!.e + 1}`, o: 'mongo-busy', h: key, e: latest!.e + 1, base: latest!.high, until: new Date(Date.now() + 60_000), token: 'alive' } as never);
        await expect(waiting.writeBatch('mongo-busy', 'orders', FILE, rows(2, 2))).rejects.toMatchObject({ code: 'unavailable', retryable: true });
        // Readers never wait for writers.
        expect(await waiting.count('mongo-busy', 'orders')).toBe(1);
        // Once released, writes go on.
        await leases.updateOne({ _id: `${key}:${latest!.e + 1}` as never }, { $set: { done: true, high: latest!.high } });
        expect(await waiting.writeBatch('mongo-busy', 'orders', FILE, rows(2, 2))).toBe(1);
      });

      it('is renewed while a long batch is written, so a waiting writer does not take it over', async () => {
        const slow = await open({ leaseMs: 200, writeChunk: 50 });
        const other = await open({ leaseMs: 200 });
        const [a, b] = await Promise.all([
          slow.writeBatch('mongo-renew', 'orders', FILE, rows(1, 20_000)),
          new Promise((resolve) => setTimeout(resolve, 50)).then(() => other.writeBatch('mongo-renew', 'orders', { kind: 'run', id: 'r' }, rows(1, 10))),
        ]);
        expect([a, b]).toEqual([20_000, 10]);
        const { headers } = await collections('mongo-renew', 'orders');
        expect(await headers.countDocuments({ t: true })).toBe(0);
        const read = await collect(slow.read('mongo-renew', 'orders', { batchSize: 5000 }));
        expect(read).toHaveLength(20_010);
        for (let i = 1; i < read.length; i++) expect(read[i]!.watermark).toBe(read[i - 1]!.watermark + 1);
      });

      it('stops a writer whose lease was taken over: its batch is stored whole by it or not at all', async () => {
        // A lease of 1 ms lapses during every command: the second writer takes it over while the first is writing.
        const lapsing = await open({ leaseMs: 1, writeChunk: 50 });
        const other = await open({ leaseMs: 60_000 });
        const [first, second] = await Promise.allSettled([
          lapsing.writeBatch('mongo-lapse', 'orders', FILE, rows(1, 20_000)),
          new Promise((resolve) => setTimeout(resolve, 30)).then(() => other.writeBatch('mongo-lapse', 'orders', { kind: 'run', id: 'r' }, rows(1, 10))),
        ]);
        expect(second).toEqual({ status: 'fulfilled', value: 10 });
        const read = await collect(other.read('mongo-lapse', 'orders', { batchSize: 5000 }));
        for (let i = 1; i < read.length; i++) expect(read[i]!.watermark).toBeGreaterThan(read[i - 1]!.watermark);
        const { data } = await collections('mongo-lapse', 'orders');
        if (first.status === 'rejected') {
          // (On a server fast enough to finish first, the batch is simply stored whole.)
          expect(first.reason).toMatchObject({ code: 'unavailable', retryable: true });
          expect(read.map((r) => r.source.kind)).toEqual(Array.from({ length: 10 }, () => 'run'));
          // Its data went with it.
          expect(await data.countDocuments({ k: 'file' })).toBe(0);
          // A retry stores it.
          expect(await other.writeBatch('mongo-lapse', 'orders', FILE, rows(1, 20_000))).toBe(20_000);
        } else {
          expect(first.value).toBe(20_000);
        }
        expect(await other.count('mongo-lapse', 'orders')).toBe(20_010);
      });

      it('lets writers of two processes take turns on one table', async () => {
        const [one, two] = [await open(), await open()];
        const results = await Promise.all([
          one.writeBatch('mongo-turns', 'orders', FILE, rows(1, 300)),
          two.writeBatch('mongo-turns', 'orders', FILE, rows(200, 500)),
          one.writeBatch('mongo-turns', 'orders', { kind: 'run', id: 'r' }, rows(1, 100)),
          two.writeBatch('mongo-turns', 'orders', FILE, rows(1, 500)),
        ]);
        expect(results[0]! + results[1]! + results[3]!).toBe(500);
        expect(results[2]).toBe(100);
        const read = await collect(one.read('mongo-turns', 'orders'));
        expect(read).toHaveLength(600);
        for (let i = 1; i < read.length; i++) expect(read[i]!.watermark).toBeGreaterThan(read[i - 1]!.watermark);
      });
    });

    it('answers ping, and not once closed', async () => {
      const store = await MongoRawStore.connect({ uri: TEST_MONGO_URI!, database });
      expect(await store.ping()).toBe(true);
      await store.close();
      expect(await store.ping()).toBe(false);
      await store.close();
    });
  });
});
