import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSluice, startSluice, type RunningSluice } from './helpers/cli.js';
import { inventoryCsv } from './helpers/inventory.js';

/**
 * `sluice pipeline ...`, the pipeline manager's commands, beside a running
 * embedded server (they go through it), as an operator uses them.
 */
describe('sluice pipeline', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sluice-pipeline-'));
  const csv = path.join(cwd, 'stock.csv');
  let server: RunningSluice;
  const sluice = (...args: string[]) => runSluice(args, { cwd, timeoutMs: 60_000 });

  beforeAll(async () => {
    writeFileSync(csv, 'sku,qty,price\nA-1,10,2.5\nA-2,5,10\nA-3,oops\nA-4,7,1.25\n');
    server = await startSluice({ cwd });
    expect((await sluice('org', 'create', 'acme')).code).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('ingests a local file, waiting for the ingest and the load, and reports the bad row', async () => {
    const result = await sluice('pipeline', 'ingest-file', '--org-id', 'acme', '--table', 'stock', csv);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/of enhanced_org_aware_ingest_dag: success/);
    expect(result.stdout).toMatch(/of enhanced_mongo_to_postgres_dag: success/);
    expect(result.stdout).toMatch(/load_to_postgres\s+success\s+try 1\s+in 4, out 3, rejected 1/);
    // Not a terminal: plain lines, no cursor movement.
    expect(result.stderr).not.toContain('\x1b[');
    expect(result.stderr).toMatch(/land_raw: success/);
  });

  it('shows the status per table, in text and as JSON', async () => {
    const text = await sluice('pipeline', 'status', '--org-id', 'acme');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^acme \(acme\): 1 table\(s\), 3 rows/);
    expect(text.stdout).toMatch(/stock\s+3\s+1\s+success .*success .*—/);
    const verbose = await sluice('pipeline', 'status', '--org-id', 'acme', '--verbose');
    expect(verbose.stdout).toMatch(/files 1 \(landed 0, loaded 1, failed 0\)/);
    expect(verbose.stdout).toMatch(/validate_file\s+success/);
    const json = await sluice('pipeline', 'status', '--json');
    const parsed = JSON.parse(json.stdout) as { orgs: { org_id: string; tables: { table: string; row_count: number }[] }[] };
    expect(parsed.orgs.find((o) => o.org_id === 'acme')!.tables[0]).toMatchObject({ table: 'stock', row_count: 3 });
  });

  it('reloads a table (nothing new, nothing duplicated), shows quality reports and the audit trail', async () => {
    const load = await sluice('pipeline', 'trigger-postgres-load', '--org-id', 'acme', '--table', 'stock', '--wait');
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toMatch(/load_to_postgres\s+success/);
    const status = JSON.parse((await sluice('pipeline', 'status', '--org-id', 'acme', '--json')).stdout) as { orgs: { tables: { row_count: number }[] }[] };
    expect(status.orgs[0]!.tables[0]!.row_count).toBe(3);
    const quality = await sluice('pipeline', 'quality', '--org-id', 'acme', '--table', 'stock', '--days', '7');
    expect(quality.code, quality.stderr).toBe(0);
    expect(quality.stdout).toMatch(/rows 3, loaded 3, rejected 1/);
    const audit = await sluice('pipeline', 'audit', '--org-id', 'acme');
    expect(audit.stdout).toMatch(/file\.upload/);
    expect(audit.stdout).toMatch(/pipeline\.trigger_load/);
  });

  it('forecasts an inventory file: ingest-file --inventory, trigger-forecast --wait with progress, and the plan', async () => {
    const none = await sluice('pipeline', 'trigger-forecast', '--client-id', 'acme');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no table of the organisation has its forecast on/);
    const sales = path.join(cwd, 'sales.csv');
    writeFileSync(sales, inventoryCsv([{ sku: 'OUT-SOON', demand: (t) => 8 + (t % 7), onHand: 12 }, { sku: 'PLENTY', demand: (t) => 8 + (t % 7), onHand: 400 }], 90));
    const ingest = await sluice('pipeline', 'ingest-file', '--org-id', 'acme', '--table', 'sales', '--inventory', sales);
    expect(ingest.code, ingest.stderr).toBe(0);
    const run = await sluice('pipeline', 'trigger-forecast', '--client-id', 'acme', '--table', 'sales', '--wait');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/of forecast_inventory_dag: success/);
    expect(run.stdout, run.stdout).toMatch(/sales: 2 items; 1 reorder_now/);
    // Not a terminal: progress as plain lines, items forecast of all.
    expect(run.stderr).toMatch(/2 \/ 2 items|publish: success/);
    const plan = await sluice('pipeline', 'forecast', '--org-id', 'acme', '--table', 'sales', '--status', 'reorder_now');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/sales: 1 item\(s\) reorder_now/);
    expect(plan.stdout).toMatch(/OUT-SOON\s+reorder_now\s+12/);
    const json = JSON.parse((await sluice('pipeline', 'forecast', '--org-id', 'acme', '--table', 'sales', '--json')).stdout) as { total: number; items: { sku: string; status: string }[] };
    expect(json.total).toBe(2);
    expect(json.items.map((i) => [i.sku, i.status])).toEqual([['OUT-SOON', 'reorder_now'], ['PLENTY', expect.stringMatching(/ok|overstock/)]]);
  }, 180_000);

  it('fails clearly: unknown tables and bad usage', async () => {
    const badStatus = await sluice('pipeline', 'forecast', '--org-id', 'acme', '--table', 'sales', '--status', 'soon');
    expect(badStatus.code).toBe(2);
    const unknown = await sluice('pipeline', 'trigger-postgres-load', '--org-id', 'acme', '--table', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Table "nope" was not found/);
    const usage = await sluice('pipeline', 'trigger-ingest', '--org-id', 'acme');
    expect(usage.code).toBe(2);
    const missing = await sluice('pipeline', 'ingest-file', '--org-id', 'acme', '--table', 'stock', path.join(cwd, 'missing.csv'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no file at');
  });
});
