/**
 * bench/xlsx-read: reading an Excel sheet of --rows rows (default 1,000,000)
 * with Sluice's streaming .xlsx reader, against reading the same rows as a
 * CSV file with Sluice's CSV reader, in one run: time, rows/s and peak RSS of
 * each (each read in a child process of its own, so that the peaks are the
 * reader's alone). The goal is memory that does not grow with the rows.
 *
 * Run: npx tsx bench/xlsx-read.ts [--rows 1000000] [--wide]
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ExcelJS from 'exceljs';
import { readFile } from '../src/connectors/file/index.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    wide: { type: 'boolean', default: false },
    // Internal: the children.
    write: { type: 'string' },
    read: { type: 'string' },
  },
});
const rows = Number(values.rows);
const columns = values.wide ? 20 : 5;

/** Row i: a code, a count, a price, a date, a label (and, wide, more of the same). */
function row(i: number): unknown[] {
  const base = [`SKU-${i % 5000}`, i % 97, Math.round(i * 1.37) / 100, new Date(Date.UTC(2026, 0, 1 + (i % 365))), `label ${i}`];
  return Array.from({ length: columns }, (_, c) => base[c % base.length]);
}
const header = Array.from({ length: columns }, (_, c) => `c${c}`);

async function write(dir: string): Promise<void> {
  const xlsx = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path.join(dir, 'data.xlsx'), useSharedStrings: true, useStyles: true });
  const ws = xlsx.addWorksheet('Data');
  for (let c = 4; c <= columns; c += 5) ws.getColumn(c).numFmt = 'yyyy-mm-dd';
  ws.addRow(header).commit();
  const csv = createWriteStream(path.join(dir, 'data.csv'));
  csv.write(`${header.join(',')}\n`);
  for (let i = 1; i <= rows; i++) {
    const r = row(i);
    ws.addRow(r).commit();
    const line = `${r.map((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v))).join(',')}\n`;
    if (!csv.write(line)) await new Promise<void>((resolve) => csv.once('drain', () => resolve()));
  }
  ws.commit();
  await xlsx.commit();
  await new Promise<void>((resolve) => csv.end(() => resolve()));
}

async function read(file: string): Promise<void> {
  const started = performance.now();
  let records = 0;
  for await (const batch of readFile(file)) records += batch.records.length;
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ records, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const tsx = path.join(path.dirname(self), '..', 'node_modules', '.bin', 'tsx');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-xlsx-'));
  try {
    console.log(`writing ${rows.toLocaleString('en')} rows × ${columns} columns as .xlsx and .csv…`);
    execFileSync(tsx, [self, '--rows', String(rows), ...(values.wide ? ['--wide'] : []), '--write', dir], { stdio: 'inherit' });
    const sizes = { xlsx: (await stat(path.join(dir, 'data.xlsx'))).size, csv: (await stat(path.join(dir, 'data.csv'))).size };
    const results: Record<string, { records: number; seconds: number; peakRssMb: number }> = {};
    for (const kind of ['csv', 'xlsx'] as const) {
      results[kind] = JSON.parse(execFileSync(tsx, [self, '--read', path.join(dir, `data.${kind}`)], { encoding: 'utf8' })) as { records: number; seconds: number; peakRssMb: number };
    }
    console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
    for (const kind of ['csv', 'xlsx'] as const) {
      const r = results[kind]!;
      console.log(
        `${kind.padEnd(5)} ${(sizes[kind] / 1e6).toFixed(1).padStart(7)} MB  ${r.records.toLocaleString('en').padStart(10)} records  ${r.seconds.toFixed(1).padStart(6)} s  ${Math.round(r.records / r.seconds).toLocaleString('en').padStart(9)} rows/s  peak RSS ${Math.round(r.peakRssMb)} MB`,
      );
    }
    console.log(`xlsx / csv time: ${(results.xlsx!.seconds / results.csv!.seconds).toFixed(2)}×`);
    if (results.xlsx!.records !== rows || results.csv!.records !== rows) throw new Error(`expected ${rows} records from each`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.write) await write(values.write);
else if (values.read) await read(values.read);
else await main();
