import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagRun } from '../src/runs/index.js';
import { MongoRawStore } from '../src/stores/raw/index.js';
import { bearer, createTestApp, waitForDagRun, type TestApp } from './helpers/app.js';
import { DATABASE_KINDS, describeEachDatabase } from './helpers/databases.js';
import { TEST_MONGO_URI, testMongoDatabase } from './helpers/mongo.js';
import { multipart } from './helpers/multipart.js';

/**
 * MONGO_URI set: the raw store is MongoDB (FerretDB in CI), and the second
 * seed's chain (upload → land raw documents → load typed tables) runs on it
 * as on the database's own raw store, organisations kept apart.
 */
const STOCK = ['sku,name,qty,price', 'A-1,"Widget, large",10,2.50', 'A-2,Gadget,5,twelve', 'A-3,Broken row', 'A-4,Drill,3,89.00', ''].join('\n');
const OTHER = ['sku,name,qty,price', 'B-1,Hammer,1,9.99', ''].join('\n');

describe.skipIf(!TEST_MONGO_URI)('the raw store on MongoDB (MONGO_URI)', () => {
  // The chain itself is the same code on both databases; one is enough here (the server when there is one).
  const kinds = [DATABASE_KINDS.includes('postgres') ? ('postgres' as const) : ('pglite' as const)];
  describeEachDatabase('upload chain', (fixture) => {
    const database = testMongoDatabase();
    let t: TestApp;
    let other: { token: string };

    const upload = (table: string, content: string, token: string) => {
      const body = multipart({ table }, { name: `${table}.csv`, content });
      return t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...bearer(token), ...body.headers }, payload: body.payload });
    };
    const runOf = (dagId: string, runId: string, token: string): Promise<DagRun> => waitForDagRun(t.app, dagId, runId, token);
    /** Uploads a file and waits for its ingest run and the load run it triggers. */
    const uploadAndLoad = async (table: string, content: string, token: string) => {
      const res = await upload(table, content, token);
      expect(res.statusCode, res.body).toBe(201);
      const ingest = await runOf('enhanced_org_aware_ingest_dag', res.json<{ dag_run_id: string }>().dag_run_id, token);
      expect(ingest.state, JSON.stringify(ingest.tasks)).toBe('success');
      const loads = (await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_mongo_to_postgres_dag/', headers: bearer(token) })).json<{ dag_runs: DagRun[] }>().dag_runs;
      const load = loads.find((r) => r.conf.upstream_run_id === ingest.dag_run_id)!;
      return { ingest, load: await runOf('enhanced_mongo_to_postgres_dag', load.dag_run_id, token) };
    };
    const rowsOf = async (table: string, token: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/tables/${table}/rows?orderBy=sku`, headers: bearer(token) })).json<{ rows: Record<string, unknown>[] }>().rows;

    beforeAll(async () => {
      t = await createTestApp(fixture, { MONGO_URI: TEST_MONGO_URI!, MONGO_DATABASE: database });
      t.services.engine.start();
      other = await t.orgWithUser('mongo-other', 'editor');
    });
    afterAll(async () => {
      await t?.close();
      const client = await MongoClient.connect(TEST_MONGO_URI!);
      await client.db(database).dropDatabase();
      await client.close();
    });

    it('keeps raw records in MongoDB and says so in /api/health', async () => {
      expect(t.services.raw).toBeInstanceOf(MongoRawStore);
      const health = await t.app.inject({ method: 'GET', url: '/api/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({ rawStore: { kind: 'mongodb', ok: true } });
    });

    it('lands an upload as raw documents and loads the typed table, bad rows explained', async () => {
      const { ingest, load } = await uploadAndLoad('stock', STOCK, t.adminToken);
      expect(ingest.tasks.find((x) => x.task_id === 'land_raw')).toMatchObject({ rows_in: 4, rows_out: 3, rows_rejected: 1 });
      expect(load.state, JSON.stringify(load.tasks)).toBe('success');
      expect(load.tasks.find((x) => x.task_id === 'load_to_postgres')).toMatchObject({ rows_out: 2, rows_rejected: 2 });
      expect((await rowsOf('stock', t.adminToken)).map((r) => [r.sku, r.qty, r.price])).toEqual([
        ['A-1', 10, 2.5],
        ['A-4', 3, 89],
      ]);
      // The raw records are MongoDB's: the database's own raw tables hold nothing of them.
      expect(await t.services.raw.count('default', 'stock')).toBeGreaterThanOrEqual(3);
      const { rows } = await t.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM raw_segments WHERE org_id = 'default'`);
      expect(rows[0]!.n).toBe(0);
      const client = await MongoClient.connect(TEST_MONGO_URI!);
      try {
        expect((await client.db(database).listCollections().toArray()).length).toBeGreaterThan(0);
      } finally {
        await client.close();
      }
    });

    it('loads again without duplicating rows', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/mongo-to-postgres/', headers: bearer(t.adminToken), payload: { table: 'stock' } });
      expect(res.statusCode, res.body).toBe(200);
      const run = await runOf('enhanced_mongo_to_postgres_dag', res.json<{ dag_run_id: string }>().dag_run_id, t.adminToken);
      expect(run.state).toBe('success');
      expect((await rowsOf('stock', t.adminToken)).map((r) => r.sku)).toEqual(['A-1', 'A-4']);
    });

    it('keeps another organisation apart: its own table of the same name, and none of the first', async () => {
      const before = await t.services.raw.count('default', 'stock');
      expect(await t.services.raw.count('mongo-other', 'stock')).toBe(0);
      const { load } = await uploadAndLoad('stock', OTHER, other.token);
      expect(load.state).toBe('success');
      expect((await rowsOf('stock', other.token)).map((r) => r.sku)).toEqual(['B-1']);
      expect((await rowsOf('stock', t.adminToken)).map((r) => r.sku)).toEqual(['A-1', 'A-4']);
      expect(await t.services.raw.count('mongo-other', 'stock')).toBe(1);
      expect(await t.services.raw.count('default', 'stock')).toBe(before);
      // Another organisation's load cannot be asked for.
      const forbidden = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/mongo-to-postgres/', headers: bearer(other.token), payload: { org_id: 'default', table: 'stock' } });
      expect(forbidden.statusCode).toBe(403);
    });
  }, { kinds });
});
