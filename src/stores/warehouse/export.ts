import Papa from 'papaparse';
import { isoDate, isoTimestamp } from './column-types.js';
import { qualify, quoteIdent, rejectedTableName } from './identifiers.js';
import type { WarehouseContext } from './load.js';
import { isDerivedTableName } from './derived.js';
import { openTable } from './read.js';
import type { ExportPart, TableExport } from './warehouse.schema.js';

/** Rows per cursor batch of an export: a few megabytes of text at most. */
const EXPORT_BATCH_ROWS = 2_000;

// The order of the Data API's pages: by load, then by source row.
const TIE_BREAK = ['_sluice_loaded_at', '_sluice_source_id', '_sluice_row_number'];

/**
 * A whole table (or its rejected rows) as text cells, for an export: every
 * value as PostgreSQL writes it (numbers exactly, dates `YYYY-MM-DD`,
 * timestamps ISO UTC, json as JSON text), read through a cursor from one
 * snapshot, one batch at a time, so memory does not grow with the table.
 * `text` says which columns hold free text (where a spreadsheet could take a
 * cell for a formula).
 */
export async function exportTable(ctx: WarehouseContext, orgId: string, table: string, part: ExportPart): Promise<TableExport> {
  const { location, physical } = await openTable(ctx, orgId, table);
  if (part === 'rejected' && isDerivedTableName(table)) {
    // Computed, not loaded: a derived table has no rejected rows.
    return { columns: ['row_number', 'field', 'reason', 'run_id', 'source_id', 'rejected_at', 'raw'], text: [false, true, true, false, false, false, true], rows: (async function* () {})() };
  }
  if (part === 'rejected') {
    const from = qualify(location.schema, rejectedTableName(table));
    return {
      columns: ['row_number', 'field', 'reason', 'run_id', 'source_id', 'rejected_at', 'raw'],
      text: [false, true, true, false, false, false, true],
      rows: cells(
        location.db.cursor<Record<string, string | null>>(
          `SELECT row_number::text AS c0, field AS c1, reason AS c2, run_id AS c3, source_id AS c4, ${isoTimestamp('rejected_at')} AS c5, raw::text AS c6
             FROM ${from} ORDER BY min(id) OVER (PARTITION BY source_id), row_number NULLS LAST, id`,
          [],
          EXPORT_BATCH_ROWS,
        ),
        7,
      ),
    };
  }
  const columns = physical.columns;
  const expression = (name: string, type: string): string => {
    const col = quoteIdent(name);
    if (type === 'date') return isoDate(col);
    if (type === 'timestamp') return isoTimestamp(col);
    return type === 'string' ? col : `${col}::text`;
  };
  const order = TIE_BREAK.filter((name) => physical.sluiceColumns.has(name)).map(quoteIdent);
  return {
    columns: columns.map((c) => c.name),
    text: columns.map((c) => c.type === 'string' || c.type === 'json'),
    rows: cells(
      location.db.cursor<Record<string, string | null>>(
        `SELECT ${columns.map((c, i) => `${expression(c.name, c.type)} AS c${i}`).join(', ') || 'NULL AS c0'}
           FROM ${qualify(location.schema, table)}${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''}`,
        [],
        EXPORT_BATCH_ROWS,
      ),
      columns.length,
    ),
  };
}

async function* cells(batches: AsyncIterable<Record<string, string | null>[]>, width: number): AsyncIterable<(string | null)[][]> {
  for await (const batch of batches) yield batch.map((row) => Array.from({ length: width }, (_, i) => row[`c${i}`] ?? null));
}

/** Cells a spreadsheet would run as a formula (OWASP, CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * An export as CSV text (RFC 4180: CRLF, fields quoted when they need it),
 * the header first, one chunk per batch. With `escapeFormulas`, a free-text
 * cell that a spreadsheet would take for a formula (`=…`, `+…`, `-…`, `@…`)
 * gets a leading `'`, which spreadsheets show as text; numbers and dates
 * are never touched. `bom` starts the text with a byte-order mark, which
 * Excel needs to read UTF-8.
 */
export async function* csvLines(exported: TableExport, options: { escapeFormulas: boolean; bom: boolean }): AsyncIterable<string> {
  const encode = (rows: (string | null)[][]) => `${Papa.unparse(rows, { newline: '\r\n', header: false })}\r\n`;
  const cell = (value: string | null, i: number) => (value !== null && options.escapeFormulas && exported.text[i] && FORMULA_START.test(value) ? `'${value}` : value);
  yield `${options.bom ? '\uFEFF' : ''}${encode([exported.columns])}`;
  for await (const batch of exported.rows) yield encode(batch.map((row) => row.map(cell)));
}
