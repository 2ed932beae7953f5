import type { ColumnType } from '../mapping/index.js';

/**
 * Which columns of a table hold the date, the item, the quantity sold and
 * the stock on hand, found from their names and types when the settings do
 * not name them. Pure: columns in, choices out.
 *
 * A name matches a role's word when it is the word (`sku`), one of its
 * `_`-separated parts (`product_id`, `units_sold`), or contains it
 * (`qtysold`), in that order of preference; ties go to the column that
 * comes first in the table. On-hand columns are chosen before quantities,
 * so `qty_on_hand` is stock, not sales.
 */
export interface TableColumn {
  name: string;
  type: ColumnType;
}

export type DetectedRole = 'dateColumn' | 'itemColumns' | 'quantityColumn' | 'onHandColumn';

const WORDS: Record<DetectedRole, readonly string[]> = {
  dateColumn: ['date', 'day', 'ds', 'period', 'week', 'month', 'timestamp', 'time'],
  itemColumns: ['sku', 'product', 'item', 'article', 'part', 'material', 'upc', 'ean', 'gtin'],
  quantityColumn: ['quantity', 'qty', 'sold', 'units', 'demand', 'sales', 'volume'],
  onHandColumn: ['on_hand', 'onhand', 'stock', 'inventory', 'soh', 'available'],
};

export const DATE_TYPES: ReadonlySet<ColumnType> = new Set(['date', 'timestamp']);
export const NUMBER_TYPES: ReadonlySet<ColumnType> = new Set(['integer', 'number']);
/** Types an item column may have: values that name a product. */
export const ITEM_TYPES: ReadonlySet<ColumnType> = new Set(['string', 'integer', 'number', 'boolean', 'date']);

/** How well `name` matches one of `words`: 3 the word itself, 2 a `_` part (or two parts joined), 1 contained, 0 none. */
export function nameScore(name: string, words: readonly string[]): number {
  const lower = name.toLowerCase();
  const parts = lower.split('_').filter(Boolean);
  let best = 0;
  for (const word of words) {
    if (lower === word) return 3;
    if (parts.includes(word) || (word.includes('_') && lower.includes(word))) best = Math.max(best, 2);
    else if (lower.includes(word)) best = Math.max(best, 1);
  }
  return best;
}

function best(columns: readonly TableColumn[], words: readonly string[], accept: (c: TableColumn) => boolean): TableColumn | undefined {
  let chosen: TableColumn | undefined;
  let score = 0;
  for (const c of columns) {
    if (!accept(c)) continue;
    const s = nameScore(c.name, words);
    if (s > score) {
      chosen = c;
      score = s;
    }
  }
  return chosen;
}

export interface Detection {
  dateColumn: string | null;
  itemColumns: string[] | null;
  quantityColumn: string | null;
  onHandColumn: string | null;
  /** Why a role found nothing usable: a column with the right name but the wrong type, or none at all. */
  problems: Partial<Record<DetectedRole, string>>;
}

/**
 * Detects the columns of every role not in `taken` (columns already chosen
 * by the settings, which no detected role may reuse).
 */
export function detectColumns(columns: readonly TableColumn[], taken: ReadonlySet<string> = new Set()): Detection {
  const used = new Set(taken);
  const free = (c: TableColumn) => !used.has(c.name);
  const problems: Detection['problems'] = {};
  const claim = (c: TableColumn | undefined) => {
    if (c) used.add(c.name);
    return c?.name ?? null;
  };
  const wrongType = (role: DetectedRole, want: string) => {
    const named = best(columns, WORDS[role], free);
    return named ? `column "${named.name}" looks like it but is ${named.type}, not ${want}` : undefined;
  };

  // Dates: a date or timestamp column, by name first, else the first one; text only when its name says date.
  const dateTyped = columns.filter((c) => free(c) && DATE_TYPES.has(c.type));
  const dateColumn = claim(
    best(dateTyped, WORDS.dateColumn, () => true) ?? dateTyped[0] ?? best(columns, WORDS.dateColumn, (c) => free(c) && c.type === 'string'),
  );
  if (dateColumn === null) problems.dateColumn = wrongType('dateColumn', 'a date') ?? 'no column of type date or timestamp, and none named like a date (date, day, ...)';

  const onHand = claim(best(columns, WORDS.onHandColumn, (c) => free(c) && NUMBER_TYPES.has(c.type)));
  const quantity = claim(best(columns, WORDS.quantityColumn, (c) => free(c) && NUMBER_TYPES.has(c.type)));
  if (quantity === null) problems.quantityColumn = wrongType('quantityColumn', 'a number') ?? 'no numeric column named like a quantity (quantity, qty, sold, units, demand, sales)';

  const item = claim(best(columns, WORDS.itemColumns, (c) => free(c) && ITEM_TYPES.has(c.type)));
  if (item === null) problems.itemColumns = wrongType('itemColumns', 'text or a number') ?? 'no column named like an item (sku, product, item, article)';

  return { dateColumn, itemColumns: item === null ? null : [item], quantityColumn: quantity, onHandColumn: onHand, problems };
}
