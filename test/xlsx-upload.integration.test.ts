import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DagRun } from '../src/runs/index.js';
import { bearer, createTestApp, waitForDagRun, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { multipart } from './helpers/multipart.js';

/**
 * What a person who is not a programmer has: an Excel workbook. Uploaded
 * through the API, its sheet becomes a typed table with the same rejected-row
 * reasons as a CSV; what can be known at once (an empty file, a file that is
 * not a format Sluice reads, a sheet the workbook does not have) is refused
 * at once, and nothing is kept.
 */
async function workbookBytes(sheets: { name: string; rows: unknown[][]; dateColumns?: number[] }[]): Promise<Buffer> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sluice-xlsx-up-')), 'book.xlsx');
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true, useStyles: true });
  for (const sheet of sheets) {
    const ws = writer.addWorksheet(sheet.name);
    for (const c of sheet.dateColumns ?? []) ws.getColumn(c).numFmt = 'dd/mm/yyyy';
    for (const row of sheet.rows) ws.addRow(row).commit();
    ws.commit();
  }
  await writer.commit();
  return readFile(file);
}

describeEachDatabase('Excel workbook uploads', (fixture) => {
  let t: TestApp;
  let book: Buffer;
  const admin = () => bearer(t.adminToken);
  const upload = (fields: Record<string, string>, content: Buffer | string, name: string) => {
    const body = multipart(fields, { name, content, type: 'application/octet-stream' });
    return t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin(), ...body.headers }, payload: body.payload });
  };
  const loaded = async (ingestRunId: string): Promise<DagRun> => {
    const ingest = await waitForDagRun(t.app, 'enhanced_org_aware_ingest_dag', ingestRunId, t.adminToken);
    expect(ingest.state, JSON.stringify(ingest.tasks)).toBe('success');
    const loads = (await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_mongo_to_postgres_dag/', headers: admin() })).json<{ dag_runs: DagRun[] }>().dag_runs;
    return waitForDagRun(t.app, 'enhanced_mongo_to_postgres_dag', loads.find((r) => r.conf.upstream_run_id === ingestRunId)!.dag_run_id, t.adminToken);
  };
  const uploadsKept = () => {
    const dir = t.services.config.uploads.dir;
    try {
      return readdirSync(dir, { recursive: true }).filter((f) => String(f).match(/\.(xlsx|csv|bin|pdf|part)$/)).length;
    } catch {
      return 0;
    }
  };

  beforeAll(async () => {
    t = await createTestApp(fixture);
    t.services.engine.start();
    book = await workbookBytes([
      { name: 'Notes', rows: [['read me'], ['nothing to load']] },
      {
        name: 'Stock',
        dateColumns: [3],
        rows: [
          ['SKU', 'On hand', 'Counted on', 'Price'],
          ['A-1', 10, new Date(Date.UTC(2026, 1, 2)), 2.5],
          ['A-2', 'twelve', new Date(Date.UTC(2026, 1, 3)), 3],
          ['A-3', 7, new Date(Date.UTC(2026, 1, 4)), { formula: '2*2', result: 4 }],
          ['A-4', { error: '#N/A' }, new Date(Date.UTC(2026, 1, 5)), 1],
        ],
      },
    ]);
  });
  afterAll(async () => t.close());

  it('loads the sheet asked for as a typed table, with the rejected rows and their reasons', async () => {
    const res = await upload({ table: 'stock', sheet: 'stock' }, book, 'inventory.xlsx');
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<{ file: { sheet: string }; dag_run_id: string }>();
    expect(body.file.sheet).toBe('Stock');
    const load = await loaded(body.dag_run_id);
    expect(load.state, JSON.stringify(load.tasks)).toBe('success');

    const table = (await t.app.inject({ method: 'GET', url: '/api/tables', headers: admin() })).json<{ tables: { name: string; columns: { name: string; type: string }[] }[] }>().tables.find((x) => x.name === 'stock')!;
    expect(Object.fromEntries(table.columns.map((c) => [c.name, c.type]))).toEqual({ sku: 'string', on_hand: 'integer', counted_on: 'date', price: 'number' });
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/stock/rows?orderBy=sku', headers: admin() })).json<{ rows: Record<string, unknown>[] }>().rows;
    expect(rows.map((r) => [r.sku, r.on_hand, r.counted_on, r.price])).toEqual([
      ['A-1', 10, '2026-02-02', 2.5],
      ['A-3', 7, '2026-02-04', 4],
    ]);
    const rejected = (await t.app.inject({ method: 'GET', url: '/api/tables/stock/rejected', headers: admin() })).json<{ rows: { field: string; reason: string; rowNumber: number }[] }>().rows;
    expect(rejected.map((r) => [r.rowNumber, r.field, r.reason])).toEqual([
      [2, 'on_hand', '"twelve" is not an integer'],
      [4, 'on_hand', 'cell B5 holds the error #N/A'],
    ]);
  });

  it('reads the first sheet when none is named, and the same workbook for another sheet is another file', async () => {
    const res = await upload({ table: 'notes' }, book, 'inventory.xlsx');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<{ duplicate: boolean; file: { sheet: string | null } }>()).toMatchObject({ duplicate: false, file: { sheet: null } });
    expect((await loaded(res.json<{ dag_run_id: string }>().dag_run_id)).state).toBe('success');
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/notes/rows', headers: admin() })).json<{ rows: Record<string, unknown>[] }>().rows;
    expect(rows.map((r) => r.read_me)).toEqual(['nothing to load']);
  });

  it('refuses at once, keeping nothing: an empty file, a file of another kind, a sheet that is not there, a sheet of a CSV', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/files/', headers: admin() })).json<{ files: unknown[] }>().files.length;
    const kept = uploadsKept();
    const cases: [Record<string, string>, Buffer | string, string, string, string, RegExp][] = [
      [{ table: 'x' }, '', 'empty.csv', 'file_empty', 'file', /empty/],
      [{ table: 'x' }, '\n \n', 'blank.csv', 'file_empty', 'file', /blank lines/],
      [{ table: 'x' }, Buffer.from('%PDF-1.7\n%âãÏÓ\n'), 'report.pdf', 'file_unsupported', 'file', /PDF/],
      [{ table: 'x', sheet: 'Prices' }, book, 'inventory.xlsx', 'invalid_config', 'sheet', /no sheet "Prices"; its sheets are "Notes", "Stock"/],
      [{ table: 'x', sheet: '3' }, book, 'inventory.xlsx', 'invalid_config', 'sheet', /no sheet "3"/],
      [{ table: 'x', sheet: 'Stock' }, 'a,b\n1,2\n', 'plain.csv', 'invalid_config', 'sheet', /only an Excel workbook/],
    ];
    for (const [fields, content, name, code, field, message] of cases) {
      const res = await upload(fields, content, name);
      expect(res.statusCode, `${name}: ${res.body}`).toBe(422);
      const error = res.json<{ error: { code: string; message: string; details: { issues: { field: string; message: string }[] } } }>().error;
      expect(error.code, name).toBe(code);
      expect(error.details.issues[0]).toMatchObject({ field, message: expect.stringMatching(message) });
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/files/', headers: admin() })).json<{ files: unknown[] }>().files).toHaveLength(before);
    expect(uploadsKept()).toBe(kept);
  });
});
