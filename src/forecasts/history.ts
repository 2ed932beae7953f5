import type { Database } from '../db/index.js';
import type { ItemInput } from '../forecast/index.js';
import { qualify, quoteIdent } from '../stores/warehouse/index.js';
import { parseDateText, type NumericOrder } from './dates.js';
import type { ResolvedColumn, ResolvedSettings } from './settings.js';

/**
 * Reading a table's history item by item, without holding more than one
 * item (and one cursor batch) at a time: the rows of a shard's items in
 * item order through a cursor, each item's rows summed per day.
 *
 * - A row without a date, with a date that cannot be read, or without a
 *   quantity is skipped and counted (the table keeps it; the run's log says
 *   how many and why).
 * - Several rows of one item on one day (duplicates, several sales) are
 *   summed; the day's stock on hand is the last one loaded.
 * - Negative quantities are returns: they net against that day's sales; a
 *   day whose net is negative counts as no demand.
 * - Rows whose item columns are empty belong to no item; `surveyTable`
 *   counts them.
 */

/** Rows read per cursor batch. */
const BATCH_ROWS = 5_000;
const SEPARATOR = `E'\\x1f'`;

/** An item column as text, as results write it back (numbers as their digits, dates `YYYY-MM-DD`). */
export function itemText(column: ResolvedColumn): string {
  const col = quoteIdent(column.name);
  switch (column.type) {
    case 'string':
      return col;
    case 'date':
      return `to_char(${col}, 'YYYY-MM-DD')`;
    case 'timestamp':
      return `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    default:
      return `${col}::text`;
  }
}

const dateText = (column: ResolvedColumn): string => {
  const col = quoteIdent(column.name);
  if (column.type === 'date') return `to_char(${col}, 'YYYY-MM-DD')`;
  if (column.type === 'timestamp') return `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  return `${col}::text`;
};

/** An item's values joined into one text, the hash's input. */
const keyText = (settings: ResolvedSettings) => `concat_ws(${SEPARATOR}, ${settings.itemColumns.map(itemText).join(', ')})`;

/** The shard (0 ≤ shard < count) of the item whose key text is `key`: a hash, the same in every query. */
const shardExpr = (key: string, count: number) => `mod(abs(hashtext(${key})::bigint), ${Math.max(1, Math.floor(count))})`;

export const shardOf = (settings: ResolvedSettings, count: number): string => shardExpr(keyText(settings), count);

const hasItem = (settings: ResolvedSettings) => settings.itemColumns.map((c) => `${quoteIdent(c.name)} IS NOT NULL`).join(' AND ');

/** An item's key in URLs and results: its one value, or the JSON array of its values. */
export const itemKey = (values: readonly string[]): string => (values.length === 1 ? values[0]! : JSON.stringify(values));

export interface TableSurvey {
  rows: number;
  /** Rows whose item columns are (partly) empty: they belong to no item. */
  rowsWithoutItem: number;
  items: number;
  /** Items per shard. */
  shardItems: number[];
  /** For a text date column: the order of its numeric dates. */
  dateOrder: NumericOrder;
}

/** Counts the table's rows and items per shard, and how its text dates are written (two passes over the table). */
export async function surveyTable(db: Database, schema: string, table: string, settings: ResolvedSettings, shards: number): Promise<TableSurvey> {
  const from = qualify(schema, table);
  const { rows: totals } = await db.query<{ rows: string | number; without: string | number }>(
    `SELECT count(*) AS rows, count(*) FILTER (WHERE NOT (${hasItem(settings)})) AS without FROM ${from}`,
  );
  const { rows: perShard } = await db.query<{ shard: number; n: string | number }>(
    `SELECT ${shardExpr('k', shards)} AS shard, count(*) AS n
       FROM (SELECT DISTINCT ${keyText(settings)} AS k FROM ${from} WHERE ${hasItem(settings)}) AS s
      GROUP BY 1`,
  );
  const shardItems = Array.from({ length: shards }, () => 0);
  for (const r of perShard) shardItems[Number(r.shard)] = Number(r.n);
  let dateOrder: NumericOrder = 'dmy';
  if (settings.dateColumn.type === 'string') {
    const col = quoteIdent(settings.dateColumn.name);
    const { rows } = await db.query<{ first: string | number; second: string | number }>(
      `SELECT count(*) FILTER (WHERE substring(${col} from '^\\s*(\\d{1,2})[/.-]\\d{1,2}[/.-]\\d{2,4}')::int > 12) AS first,
              count(*) FILTER (WHERE substring(${col} from '^\\s*\\d{1,2}[/.-](\\d{1,2})[/.-]\\d{2,4}')::int > 12) AS second
         FROM ${from}`,
    );
    dateOrder = Number(rows[0]!.second) > Number(rows[0]!.first) ? 'mdy' : 'dmy';
  }
  return {
    rows: Number(totals[0]!.rows),
    rowsWithoutItem: Number(totals[0]!.without),
    items: shardItems.reduce((a, b) => a + b, 0),
    shardItems,
    dateOrder,
  };
}

export interface HistoryCounts {
  rowsRead: number;
  items: number;
  /** Rows not used, by reason. */
  skipped: { noDate: number; badDate: number; noQuantity: number };
  /** A few date texts that could not be read, for the log. */
  badDates: string[];
  /** Rows with a negative quantity (returns), netted against their day's sales. */
  returns: number;
  /** Days whose returns exceeded their sales: counted as no demand. */
  negativeDays: number;
  /** Rows on an (item, day) that already had one: summed. */
  duplicates: number;
}

export const emptyCounts = (): HistoryCounts => ({ rowsRead: 0, items: 0, skipped: { noDate: 0, badDate: 0, noQuantity: 0 }, badDates: [], returns: 0, negativeDays: 0, duplicates: 0 });

export interface ItemHistory extends ItemInput {
  /** The item's values as text, in the order of the item columns. */
  values: string[];
}

export interface HistoryRead {
  db: Database;
  schema: string;
  table: string;
  settings: ResolvedSettings;
  dateOrder: NumericOrder;
  /** Whether the table has Sluice's load columns (to order a day's rows as they were loaded). */
  loadOrder: boolean;
  /** One shard of `count`; or `item` for one item's history. */
  shard?: { index: number; count: number };
  item?: readonly string[];
  signal?: AbortSignal;
}

interface Row {
  d: string | null;
  q: number | null;
  oh: number | null;
  lt: number | null;
  [key: `i${number}`]: string;
}

/** The items of a shard (or the one item asked for), in item order, with their rows summed per day. */
export async function* readHistory(read: HistoryRead, counts: HistoryCounts): AsyncGenerator<ItemHistory> {
  const { settings } = read;
  const width = settings.itemColumns.length;
  const params: unknown[] = [];
  const where = [hasItem(settings)];
  if (read.shard) where.push(`${shardOf(settings, read.shard.count)} = ${Math.floor(read.shard.index)}`);
  if (read.item) {
    settings.itemColumns.forEach((c, i) => {
      params.push(read.item![i]);
      where.push(`${itemText(c)} = $${params.length}`);
    });
  }
  const items = settings.itemColumns.map((c, i) => `${itemText(c)} AS i${i}`);
  const num = (c: ResolvedColumn | null) => (c ? `${quoteIdent(c.name)}::float8` : 'NULL::float8');
  const order = [...settings.itemColumns.map((c) => `${itemText(c)} COLLATE "C"`), ...(read.loadOrder ? ['_sluice_loaded_at', '_sluice_source_id', '_sluice_row_number'] : [])];
  const sql = `SELECT ${items.join(', ')}, ${dateText(settings.dateColumn)} AS d, ${num(settings.quantityColumn)} AS q, ${num(settings.onHandColumn)} AS oh, ${num(settings.leadTimeColumn)} AS lt
                 FROM ${qualify(read.schema, read.table)} WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')}`;

  let values: string[] | null = null;
  let joined = '';
  let days = new Map<string, { q: number; oh: number | null }>();
  let leadTime: number | undefined;
  const finish = (): ItemHistory | null => {
    if (values === null || days.size === 0) return null;
    counts.items += 1;
    const rows = [];
    for (const [date, day] of days) {
      if (day.q < 0) counts.negativeDays += 1;
      rows.push({ date, quantity: Math.max(0, day.q), onHand: day.oh });
    }
    return { key: itemKey(values), values, rows, ...(leadTime === undefined ? {} : { leadTimeDays: leadTime }) };
  };
  const isText = settings.dateColumn.type === 'string';
  for await (const batch of read.db.cursor<Row>(sql, params, BATCH_ROWS)) {
    read.signal?.throwIfAborted();
    for (const row of batch) {
      counts.rowsRead += 1;
      let key = row.i0!;
      for (let i = 1; i < width; i++) key += `\u001f${row[`i${i}`]}`;
      if (key !== joined || values === null) {
        const done = finish();
        if (done) yield done;
        joined = key;
        values = Array.from({ length: width }, (_, i) => row[`i${i}`]!);
        days = new Map();
        leadTime = undefined;
      }
      if (row.d === null) {
        counts.skipped.noDate += 1;
        continue;
      }
      const date = isText ? parseDateText(row.d, read.dateOrder) : row.d;
      if (date === null) {
        counts.skipped.badDate += 1;
        if (counts.badDates.length < 5 && !counts.badDates.includes(row.d)) counts.badDates.push(row.d.slice(0, 40));
        continue;
      }
      if (row.q === null || !Number.isFinite(row.q)) {
        counts.skipped.noQuantity += 1;
        continue;
      }
      if (row.q < 0) counts.returns += 1;
      const oh = row.oh !== null && Number.isFinite(row.oh) ? row.oh : null;
      const day = days.get(date);
      if (day) {
        counts.duplicates += 1;
        day.q += row.q;
        if (oh !== null) day.oh = oh;
      } else {
        days.set(date, { q: row.q, oh });
      }
      if (row.lt !== null && Number.isFinite(row.lt) && row.lt >= 0) leadTime = row.lt;
    }
  }
  const last = finish();
  if (last) yield last;
}
