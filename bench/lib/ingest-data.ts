/**
 * Shared by the ingest benchmarks: the generated rows (the same every run),
 * their CSV form, and measuring helpers. Traffic stays on this machine.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { SchemaColumn } from '../../src/mapping/index.js';
import { PG_TYPES } from '../../src/stores/warehouse/index.js';
import { random } from '../../test/helpers/random.js';

export const COLUMNS: SchemaColumn[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'qty', type: 'integer', nullable: true },
  { name: 'price', type: 'number', nullable: true },
  { name: 'name', type: 'string', nullable: true },
  { name: 'category', type: 'string', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'updated_at', type: 'timestamp', nullable: true },
  { name: 'active', type: 'boolean', nullable: true },
  { name: 'attributes', type: 'json', nullable: true },
];
/** The column types Sluice's warehouse creates, for the reference table psql loads. */
export const PG_COLUMN_TYPES = PG_TYPES;

// ---------------------------------------------------------------- generation


const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'café', 'naïve', 'Zürich', '東京', 'emoji 😀'];
const CATEGORIES = ['tools', 'garden', 'kitchen', 'toys', 'books'];

/** Rows as src/mapping hands them to the loader (its documented representation per type). */
export function generatePool(count: number): Record<string, unknown>[] {
  const next = random(42);
  const rows: Record<string, unknown>[] = new Array(count);
  const base = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    const w1 = WORDS[Math.floor(next() * WORDS.length)]!;
    const w2 = WORDS[Math.floor(next() * WORDS.length)]!;
    const r = next();
    // Text with commas and quotes everywhere, and a newline in one row of ten.
    const name = r < 0.1 ? `${w1}, "${w2}"\nsecond line ${i}` : r < 0.5 ? `${w1}, ${w2} #${i}` : `${w1} "${w2}" ${i}`;
    const at = base + Math.floor(next() * 365 * 86_400_000);
    rows[i] = {
      id: i + 1,
      qty: Math.floor(next() * 10_000) - 100,
      price: Math.round(next() * 10_000_000) / 100,
      name,
      category: CATEGORIES[i % CATEGORIES.length],
      day: new Date(at).toISOString().slice(0, 10),
      updated_at: new Date(at).toISOString(),
      active: next() < 0.5,
      attributes: { color: w1, sizes: [Math.floor(next() * 50), 42], note: r < 0.2 ? 'has "quotes", commas' : null },
    };
  }
  return rows;
}

/** The row at position `n` (0-based) of the loaded sequence: the pool, repeated, with ids continuing. */
export const rowAt = (pool: Record<string, unknown>[], n: number): Record<string, unknown> => pool[n % pool.length]!;

export const csvField = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export async function writeCsv(file: string, pool: Record<string, unknown>[], rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${COLUMNS.map((c) => c.name).join(',')}\n`);
  let chunk = '';
  for (let n = 0; n < rows; n++) {
    const row = rowAt(pool, n);
    chunk += `${COLUMNS.map((c) => csvField(row[c.name])).join(',')}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}


// ---------------------------------------------------------------- measuring

/** Runs `fn`, sampling RSS every 20 ms; returns seconds, this process's CPU seconds and the peak RSS in bytes. */
export async function measure<T>(fn: () => Promise<T>): Promise<{ seconds: number; cpuSeconds: number; peakRss: number; value: T }> {
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  try {
    const value = await fn();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6, peakRss, value };
  } finally {
    clearInterval(timer);
  }
}

export function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited with ${code}: ${output}`))));
  });
}

export const withDatabase = (url: string, name: string): string => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const fmt = (n: number): string => n.toLocaleString('en-US');

/** Drops a database, waiting for an autovacuum worker that holds it (the same helper the tests use). */
export { dropWithRetries as dropDatabase } from '../../test/helpers/drop-database.js';
