import { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type ExcelJS from 'exceljs';
import type Unzipper from 'unzipper';
import { UserError } from '../../errors/index.js';
import type { ReadContext } from './batcher.js';
import { columnsFromHeader, numberedColumns } from './csv.reader.js';
import type { FileBatch, FileColumn } from './file.schema.js';
import type { PeekedSource } from './source.js';

/**
 * Excel workbooks (.xlsx), streamed with exceljs's WorkbookReader: rows come
 * one at a time from the zip, so memory holds a batch of records, the
 * workbook's styles and its shared strings, never the sheet. The shared
 * strings (every distinct text of the workbook, which cells refer to by
 * number) are kept packed as UTF-8 in one buffer rather than as a million
 * JavaScript strings: a sheet of a million distinct labels costs megabytes,
 * not hundreds. (exceljs holds the sheets in temporary files on disk until
 * the shared strings, which Excel writes after them, have been read.)
 *
 * One sheet is read: the first of the workbook, or the one `sheet` names (by
 * name, or by position from 1). Its first non-empty row names the columns,
 * as a CSV header does; every later row is a record whose values keep the
 * types the cells have: numbers, booleans, text, and dates (a cell formatted
 * as a date) as `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS` with a time of day,
 * since a workbook holds wall-clock times without a zone. A formula gives its
 * last computed result. Blank rows are skipped and counted, as blank lines
 * are. A row is rejected, with its cells and the reason, when a cell holds an
 * error (`#DIV/0!`) or a value stands in a column without a header.
 * `rowNumber` counts data rows from 1, as for CSV; reasons name the cell as
 * the workbook shows it (`C7`).
 */
/**
 * exceljs (and its zip and stream libraries) is loaded with the first
 * workbook: ~24 MB that a server reading only CSV never needs. Required, not
 * imported: CommonJS, loaded at once, without an await between peeking at
 * the upload and reading it.
 */
const require = createRequire(import.meta.url);
const excelJs = (): typeof ExcelJS => require('exceljs') as typeof ExcelJS;
const unzipperLib = (): typeof Unzipper => require('unzipper') as typeof Unzipper;

export async function* readXlsx(source: PeekedSource, ctx: ReadContext): AsyncGenerator<FileBatch> {
  const { batcher, summary, options } = ctx;
  const reader = new (excelJs().stream.xlsx.WorkbookReader)(Readable.from(source.chunks()), {
    sharedStrings: 'emit',
    styles: 'cache',
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'ignore',
  });
  let wanted: { id: number; name: string } | undefined;
  let read = false;
  let columns: FileColumn[] | null = null;
  const strings = new SharedStrings();
  try {
    for await (const item of reader.parse() as unknown as AsyncIterable<{ eventType?: string; value?: unknown; index?: number; text?: unknown }>) {
      // exceljs yields the shared strings as they are read ({ index, text }), then each worksheet.
      if (item.eventType === undefined) {
        if (typeof item.index === 'number') strings.add(plainText(item.text));
        continue;
      }
      if (item.eventType !== 'worksheet') continue;
      const worksheet = item.value as ExcelJS.stream.xlsx.WorksheetReader;
      const sheetId = (worksheet as unknown as { id: number | string }).id;
      wanted ??= pickSheet(reader, options.sheet);
      if (read || Number(sheetId) !== wanted.id) {
        // Another sheet: its rows still have to be read past in the stream.
        for await (const row of worksheet) void row;
        continue;
      }
      read = true;
      for await (const row of worksheet) {
        const cells = (row.values as unknown[]).slice(1).map((c) => strings.resolve(c));
        if (cells.every((c) => cellText(c) === '')) {
          summary.blankLines += 1;
          continue;
        }
        if (columns === null) {
          columns = options.hasHeader === false ? numberedColumns(lastFilled(cells)) : columnsFromHeader(cells.slice(0, lastFilled(cells)).map(cellText));
          summary.columns = columns;
          summary.hasHeader = options.hasHeader !== false;
          if (summary.hasHeader) continue;
        }
        addRow(ctx, columns, cells, row.number);
        for (const batch of batcher.take()) yield batch;
      }
    }
  } catch (error) {
    throw error instanceof UserError ? error : unreadable(error);
  }
  if (!read) {
    // A workbook without sheets, or whose sheet files could not be found.
    throw new UserError('file_malformed', 'The workbook has no worksheet to read');
  }
  summary.notes.push(`Read the sheet "${wanted!.name}"${sheetNames(reader).length > 1 ? ` (the workbook has ${sheetNames(reader).map((n) => `"${n}"`).join(', ')}; choose another with the field "sheet")` : ''}.`);
  if (columns === null) summary.notes.push('The sheet is empty.');
  yield* batcher.finish();
}

interface WorkbookModel {
  model?: { sheets?: { name: string; id: number; rId: string }[] };
  workbookRels?: { Id: string; Target: string }[];
}

const sheetNames = (reader: unknown): string[] => ((reader as WorkbookModel).model?.sheets ?? []).map((s) => s.name);

/** The sheet to read, as the number of its file (`xl/worksheets/sheetN.xml`) and its name. */
function pickSheet(reader: unknown, asked: string | undefined): { id: number; name: string } {
  const { model, workbookRels } = reader as WorkbookModel;
  const sheets = model?.sheets ?? [];
  const fileOf = (rId: string): number | undefined => {
    const target = workbookRels?.find((r) => r.Id === rId)?.Target;
    const m = target ? /sheet(\d+)\.xml$/.exec(target) : null;
    return m ? Number(m[1]) : undefined;
  };
  const names = sheets.map((s) => `"${s.name}"`).join(', ');
  let sheet = sheets[0];
  if (asked !== undefined) {
    const name = findSheet(sheets.map((s) => s.name), asked);
    sheet = sheets.find((s) => s.name === name);
    if (!sheet) {
      throw new UserError('invalid_config', `sheet: the workbook has no sheet ${JSON.stringify(asked)}; its sheets are ${names || 'none'}`, {
        details: { issues: [{ field: 'sheet', message: `no such sheet; choose one of ${names}` }] },
      });
    }
  }
  const id = sheet ? fileOf(sheet.rId) : 1;
  if (id === undefined) throw new UserError('file_malformed', `The workbook does not say where the sheet "${sheet!.name}" is stored`);
  return { id, name: sheet?.name ?? 'Sheet1' };
}

/** One row's record, or its rejection. */
function addRow(ctx: ReadContext, columns: readonly FileColumn[], cells: readonly unknown[], excelRow: number): void {
  const data: Record<string, unknown> = {};
  let problem: { field: string | null; reason: string } | null = null;
  cells.forEach((cell, i) => {
    if (problem) return;
    const value = cellValue(cell);
    const column = columns[i];
    if (!column) {
      if (value.kind !== 'empty') problem = { field: null, reason: `cell ${cellRef(i, excelRow)} holds ${JSON.stringify(cellText(cell)).slice(0, 80)}, in a column without a header` };
      return;
    }
    if (value.kind === 'error') problem = { field: column.name, reason: `cell ${cellRef(i, excelRow)} holds the error ${value.error}` };
    else data[column.name] = value.kind === 'empty' ? null : value.value;
  });
  if (problem) {
    const raw = Object.fromEntries(columns.map((c, i) => [c.name, cellText(cells[i])]));
    const { field, reason } = problem as { field: string | null; reason: string };
    ctx.batcher.reject(raw, field, reason);
  } else {
    for (const c of columns) if (!(c.name in data)) data[c.name] = null;
    ctx.batcher.record(data);
  }
}

type CellValue = { kind: 'empty' } | { kind: 'error'; error: string } | { kind: 'value'; value: string | number | boolean };

/** A cell as a record value (see readXlsx). */
function cellValue(cell: unknown): CellValue {
  if (cell === null || cell === undefined) return { kind: 'empty' };
  if (typeof cell === 'string') return cell.trim() === '' ? { kind: 'empty' } : { kind: 'value', value: cell };
  if (typeof cell === 'number') return Number.isFinite(cell) ? { kind: 'value', value: cell } : { kind: 'empty' };
  if (typeof cell === 'boolean') return { kind: 'value', value: cell };
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? { kind: 'empty' } : { kind: 'value', value: wallClock(cell) };
  if (typeof cell === 'object') {
    const o = cell as Record<string, unknown>;
    if (typeof o.error === 'string') return { kind: 'error', error: o.error };
    if ('formula' in o || 'sharedFormula' in o) return cellValue(o.result);
    if (Array.isArray(o.richText)) return cellValue(o.richText.map((r: { text?: unknown }) => String(r.text ?? '')).join(''));
    if ('text' in o) return cellValue(o.text);
  }
  return { kind: 'value', value: String(cell) };
}

/** The cell as text, for a header or a rejected row. */
function cellText(cell: unknown): string {
  const value = cellValue(cell);
  return value.kind === 'empty' ? '' : value.kind === 'error' ? value.error : String(value.value);
}

/** Excel keeps dates as wall-clock times; exceljs hands them over as that time in UTC. */
function wallClock(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, iso.endsWith('.000Z') ? 19 : 23);
}

const lastFilled = (cells: readonly unknown[]): number => {
  for (let i = cells.length - 1; i >= 0; i--) if (cellText(cells[i]) !== '') return i + 1;
  return 0;
};

/** `A1`-style reference of the 0-based column `i` in the workbook's row `row`. */
function cellRef(i: number, row: number): string {
  let name = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return `${name}${row}`;
}

function unreadable(error: unknown): UserError {
  const message = error instanceof Error ? error.message : String(error);
  return new UserError('file_malformed', `The workbook cannot be read (${message.slice(0, 200)}); open it in Excel and save it again as .xlsx, or as CSV (UTF-8)`, { cause: error });
}

/**
 * The names of a workbook's sheets, in order, from its `xl/workbook.xml`
 * alone (read through the zip's central directory, not the whole file): for
 * checking an upload's `sheet` before the file is recorded.
 */
export async function workbookSheets(file: string): Promise<string[]> {
  let xml: string;
  try {
    const directory = await unzipperLib().Open.file(file);
    const entry = directory.files.find((f) => f.path === 'xl/workbook.xml');
    if (!entry) throw new Error('it has no xl/workbook.xml');
    const buffer = await entry.buffer();
    if (buffer.length > 16 * 1024 * 1024) throw new Error('its xl/workbook.xml is larger than 16 MiB');
    xml = buffer.toString('utf8');
  } catch (error) {
    throw unreadable(error);
  }
  const names: string[] = [];
  for (const m of xml.matchAll(/<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"/g)) names.push(decodeXml(m[1]!));
  return names;
}

const decodeXml = (s: string): string =>
  s.replace(/&(lt|gt|quot|apos|amp|#x[0-9a-f]+|#\d+);/gi, (_all, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : e === 'amp' ? '&' : String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );

/** The sheet `asked` names among `names` (by name, any case, or by position from 1), or undefined. */
export function findSheet(names: readonly string[], asked: string): string | undefined {
  const position = /^\d+$/.test(asked.trim()) ? Number(asked.trim()) : undefined;
  return names.find((n) => n === asked) ?? names.find((n) => n.trim().toLowerCase() === asked.trim().toLowerCase()) ?? (position !== undefined ? names[position - 1] : undefined);
}

/** The text of a shared string: plain, or the runs of a rich text joined. */
function plainText(text: unknown): string {
  if (typeof text === 'string') return text;
  const runs = (text as { richText?: { text?: unknown }[] } | null)?.richText;
  return Array.isArray(runs) ? runs.map((r) => String(r.text ?? '')).join('') : '';
}

/** A workbook's shared strings, packed: their UTF-8 bytes end to end, and where each ends. */
class SharedStrings {
  #bytes = Buffer.alloc(64 * 1024);
  #used = 0;
  #ends = new Uint32Array(1024);
  #count = 0;

  add(text: string): void {
    const length = Buffer.byteLength(text);
    if (this.#used + length > this.#bytes.length) {
      const bigger = Buffer.alloc(Math.max(this.#bytes.length * 2, this.#used + length));
      this.#bytes.copy(bigger, 0, 0, this.#used);
      this.#bytes = bigger;
    }
    this.#used += this.#bytes.write(text, this.#used);
    if (this.#count === this.#ends.length) {
      const bigger = new Uint32Array(this.#ends.length * 2);
      bigger.set(this.#ends);
      this.#ends = bigger;
    }
    this.#ends[this.#count++] = this.#used;
  }

  /** A cell as exceljs gives it, its shared-string reference (`{ sharedString: n }`) replaced by the text. */
  resolve(cell: unknown): unknown {
    if (typeof cell !== 'object' || cell === null || !('sharedString' in cell)) return cell;
    const index = (cell as { sharedString: number }).sharedString;
    if (!(index >= 0 && index < this.#count)) return null;
    return this.#bytes.toString('utf8', index === 0 ? 0 : this.#ends[index - 1]!, this.#ends[index]!);
  }
}
