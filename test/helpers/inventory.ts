import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Sales-and-stock history as a shop exports it: one row per product and
 * day, with the units sold and the stock on hand at the end of the day.
 * Deterministic (a seeded generator), so tests know what each item does.
 */
export interface InventoryItem {
  sku: string;
  /** Units sold on day `t` (0-based). */
  demand: (t: number) => number;
  /** Stock on hand at the end of the last day. */
  onHand: number;
}

/** A small linear congruential generator: the same numbers on every machine. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export const isoDay = (start: string, t: number): string => new Date(Date.parse(`${start}T00:00:00Z`) + t * 86_400_000).toISOString().slice(0, 10);

/** CSV text `date,sku,units_sold,on_hand` for `days` days from `start`. On hand is written on the last day only, and on days it is 0. */
export function inventoryCsv(items: readonly InventoryItem[], days: number, start = '2025-01-01'): string {
  const lines = ['date,sku,units_sold,on_hand'];
  for (const item of items) {
    for (let t = 0; t < days; t++) {
      const last = t === days - 1;
      lines.push(`${isoDay(start, t)},${item.sku},${item.demand(t)},${last ? item.onHand : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes a large inventory CSV to `path` without holding it: `items` items
 * of `days` days each, weekly patterns and noise, a tenth of the items
 * intermittent, stock on hand on the last day from a few days' cover to a
 * few months'. Returns the rows written.
 */
export async function writeInventoryCsv(path: string, items: number, days: number, start = '2023-01-01'): Promise<number> {
  const out = createWriteStream(path);
  const random = seeded(42);
  const dates = Array.from({ length: days }, (_, t) => isoDay(start, t));
  let rows = 0;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('date,sku,units_sold,on_hand\n');
  const weekly = [0.8, 0.9, 1, 1, 1.1, 1.4, 1.2];
  for (let i = 0; i < items; i++) {
    const sku = `SKU-${String(i).padStart(6, '0')}`;
    const level = 2 + random() * 40;
    const intermittent = i % 10 === 9;
    const cover = 2 + random() * 90;
    let chunk = '';
    for (let t = 0; t < days; t++) {
      const base = intermittent ? (random() < 0.15 ? 1 + Math.floor(random() * 6) : 0) : Math.max(0, Math.round(level * weekly[t % 7]! * (0.8 + 0.4 * random())));
      const onHand = t === days - 1 ? String(Math.round(level * cover)) : '';
      chunk += `${dates[t]},${sku},${base},${onHand}\n`;
      rows++;
    }
    await write(chunk);
  }
  out.end();
  await once(out, 'finish');
  return rows;
}
