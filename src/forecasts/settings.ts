import { z } from 'zod';
import { UserError, type FieldIssue } from '../errors/index.js';
import type { ColumnType } from '../mapping/index.js';
import { DATE_TYPES, detectColumns, ITEM_TYPES, NUMBER_TYPES, type DetectedRole, type TableColumn } from './detect.js';

/**
 * A table's forecast settings: what the organisation set (stored as given),
 * and what a run uses once the columns left out are detected from the
 * table's columns (`resolveSettings`).
 */

export const FREQUENCIES = ['auto', 'day', 'week', 'month', 'quarter', 'year'] as const;
export const DEFAULT_LEAD_TIME_DAYS = 7;
export const DEFAULT_SERVICE_LEVEL = 0.95;
export const DEFAULT_REVIEW_PERIOD_DAYS = 7;

const Column = z.string().trim().min(1).max(63);

/** `PUT /api/tables/:table/forecast`. Columns left out are detected; `onHandColumn: null` says the table has none. */
export const ForecastSettingsInput = z
  .object({
    enabled: z.boolean().default(true).describe('Whether loads, the trigger and the schedule forecast the table (default true)'),
    dateColumn: Column.nullish().describe('The date of each row; detected when left out (date, day, ...)'),
    itemColumns: z.array(Column).min(1).max(8).nullish().describe('The columns naming an item (a product, or a product in a store); detected when left out (sku, product, item)'),
    quantityColumn: Column.nullish().describe('The quantity sold (demand); detected when left out (quantity, qty, sold, units, demand)'),
    onHandColumn: Column.nullable().optional().describe('Stock on hand at the end of the day; detected when left out (on_hand, stock); null: the table has none'),
    leadTimeDays: z.number().min(0).max(3650).optional().describe('Days from ordering to receiving (default 7)'),
    leadTimeColumn: Column.nullable().optional().describe("A column holding each item's lead time in days (its last value per item); leadTimeDays for items without one"),
    serviceLevel: z.number().gt(0.5).lt(1).optional().describe('The chance of not running out within a lead time (default 0.95)'),
    reviewPeriodDays: z.number().min(0).max(3650).optional().describe('Days between two orders (default 7)'),
    horizon: z.number().int().min(1).max(1000).optional().describe('Periods to forecast (default per frequency: 28 days, 13 weeks, 12 months, 8 quarters, 5 years)'),
    frequency: z.enum(FREQUENCIES).optional().describe('The period of the series; auto detects it per item (default)'),
    schedule: z
      .object({ cron: z.string().trim().min(1).max(200), timezone: z.string().trim().max(100).optional() })
      .strict()
      .nullable()
      .optional()
      .describe('Forecast on a CRON schedule too (besides after every load); null: no schedule'),
  })
  .strict();
export type ForecastSettingsInput = z.infer<typeof ForecastSettingsInput>;

/** What is stored: the input less `enabled` (kept as the table's inventory flag, which the upload sets too). */
export type StoredSettings = Omit<ForecastSettingsInput, 'enabled'>;

export interface ResolvedColumn {
  name: string;
  type: ColumnType;
}

/** The settings a run uses: every column resolved against the table, every default applied. */
export interface ResolvedSettings {
  dateColumn: ResolvedColumn;
  itemColumns: ResolvedColumn[];
  quantityColumn: ResolvedColumn;
  onHandColumn: ResolvedColumn | null;
  leadTimeColumn: ResolvedColumn | null;
  leadTimeDays: number;
  serviceLevel: number;
  reviewPeriodDays: number;
  horizon: number | null;
  frequency: (typeof FREQUENCIES)[number];
  /** The roles whose column was detected rather than set. */
  detected: DetectedRole[];
}

export interface Resolution {
  settings: ResolvedSettings | null;
  /** Columns as far as they could be resolved (for the settings form), and why the rest could not. */
  columns: { dateColumn: string | null; itemColumns: string[] | null; quantityColumn: string | null; onHandColumn: string | null; leadTimeColumn: string | null };
  detected: DetectedRole[];
  issues: FieldIssue[];
}

const describeType = (t: ColumnType) => (t === 'string' ? 'text' : t);

/**
 * Resolves `stored` against the table's `columns`: named columns must exist
 * and have a type that serves their role; the others are detected. Never
 * throws: `issues` name each setting that cannot be used (see `requireResolved`).
 */
export function resolveSettings(stored: StoredSettings, columns: readonly TableColumn[]): Resolution {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const issues: FieldIssue[] = [];
  const taken = new Set<string>();
  const check = (field: string, name: string | null | undefined, accept: ReadonlySet<ColumnType>, want: string): ResolvedColumn | null | undefined => {
    if (name === undefined || name === null) return name;
    const column = byName.get(name);
    if (!column) {
      issues.push({ field, message: `the table has no column "${name}"; it has ${columns.map((c) => c.name).join(', ') || 'no columns yet'}` });
      return null;
    }
    if (!accept.has(column.type)) {
      issues.push({ field, message: `column "${name}" holds ${describeType(column.type)}, not ${want}` });
      return null;
    }
    if (taken.has(name)) {
      issues.push({ field, message: `column "${name}" already serves another setting` });
      return null;
    }
    taken.add(name);
    return { name: column.name, type: column.type };
  };
  const dateTypes = new Set<ColumnType>([...DATE_TYPES, 'string']);
  const date = check('dateColumn', stored.dateColumn, dateTypes, 'dates (a date, timestamp or text column)');
  const items = (stored.itemColumns ?? undefined)?.map((name, i) => check(`itemColumns.${i}`, name, ITEM_TYPES, 'item names or codes (text or numbers)'));
  const quantity = check('quantityColumn', stored.quantityColumn, NUMBER_TYPES, 'numbers: the quantity must be a numeric column');
  const onHand = check('onHandColumn', stored.onHandColumn, NUMBER_TYPES, 'numbers: stock on hand must be a numeric column');
  const leadTime = check('leadTimeColumn', stored.leadTimeColumn, NUMBER_TYPES, 'numbers of days');

  const detection = detectColumns(columns, taken);
  const detected: DetectedRole[] = [];
  const column = (name: string | null) => (name === null ? null : byName.get(name)!);
  /** A role not set (absent, or null for a required one) is detected; a set one is its checked column (null when unusable, or none). */
  const role = <T>(name: DetectedRole, set: unknown, checked: T | null | undefined, found: T | null, required: boolean): T | null => {
    if (set === undefined || (set === null && required)) {
      if (found !== null) detected.push(name);
      else if (required) issues.push({ field: name, message: `${detection.problems[name] ?? 'none found'}: name it in ${name}` });
      return found;
    }
    return checked ?? null;
  };
  const dateColumn = role('dateColumn', stored.dateColumn, date, column(detection.dateColumn), true);
  const itemsChecked = items === undefined ? undefined : items.every((c) => c) ? (items as ResolvedColumn[]) : null;
  const itemColumns = role('itemColumns', stored.itemColumns, itemsChecked, detection.itemColumns?.map((n) => byName.get(n)!) ?? null, true);
  const quantityColumn = role('quantityColumn', stored.quantityColumn, quantity, column(detection.quantityColumn), true);
  const onHandColumn = role('onHandColumn', stored.onHandColumn, onHand, column(detection.onHandColumn), false);

  const resolvedColumns = {
    dateColumn: dateColumn?.name ?? null,
    itemColumns: itemColumns?.map((c) => c.name) ?? null,
    quantityColumn: quantityColumn?.name ?? null,
    onHandColumn: onHandColumn?.name ?? null,
    leadTimeColumn: leadTime?.name ?? null,
  };
  if (issues.length > 0 || !dateColumn || !itemColumns || !quantityColumn) return { settings: null, columns: resolvedColumns, detected, issues };
  return {
    settings: {
      dateColumn,
      itemColumns,
      quantityColumn,
      onHandColumn: onHandColumn ?? null,
      leadTimeColumn: leadTime ?? null,
      leadTimeDays: stored.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS,
      serviceLevel: stored.serviceLevel ?? DEFAULT_SERVICE_LEVEL,
      reviewPeriodDays: stored.reviewPeriodDays ?? DEFAULT_REVIEW_PERIOD_DAYS,
      horizon: stored.horizon ?? null,
      frequency: stored.frequency ?? 'auto',
      detected,
    },
    columns: resolvedColumns,
    detected,
    issues,
  };
}

/** The resolved settings, or `forecast_column_invalid` naming every setting that cannot be used. */
export function requireResolved(table: string, resolution: Resolution): ResolvedSettings {
  if (resolution.settings) return resolution.settings;
  throw new UserError('forecast_column_invalid', `the forecast of table "${table}" cannot run: ${resolution.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, {
    details: { issues: resolution.issues },
  });
}
