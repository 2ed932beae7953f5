import Papa from 'papaparse';
import { UserError } from '../../errors/index.js';
import { inferType } from '../../mapping/index.js';
import { CSV_DELIMITERS, type FileFormat } from './file.schema.js';
import { PeekedSource } from './source.js';

/**
 * Guessing what a file is from its name and first bytes: the format, then
 * for CSV its delimiter, quote, line break and whether it has a header.
 * Every guess can be overridden by an option; the summary says what was used.
 */

const EXTENSIONS: Record<string, FileFormat> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  ldjson: 'ndjson',
};

const extensionOf = (filename: string | undefined): FileFormat | undefined => {
  const m = /\.([a-z0-9]+)$/i.exec(filename ?? '');
  return m ? EXTENSIONS[m[1]!.toLowerCase()] : undefined;
};

const startsWith = (bytes: Uint8Array, magic: number[]): boolean => magic.every((b, i) => bytes[i] === b);

const ZIP = [0x50, 0x4b, 0x03, 0x04];

/**
 * Whether a ZIP file is an Excel workbook, from its first entry's name (in
 * the clear in its local header): a workbook's parts live under `xl/`,
 * `_rels/`, `docProps/` and `[Content_Types].xml`, whichever its writer puts
 * first; an OpenDocument sheet starts with `mimetype`, other archives with
 * anything else.
 */
function isXlsx(bytes: Uint8Array): boolean {
  if (bytes.length < 30 || !startsWith(bytes, ZIP)) return false;
  const nameLength = bytes[26]! | (bytes[27]! << 8);
  const name = Buffer.from(bytes.buffer, bytes.byteOffset + 30, Math.min(nameLength, bytes.length - 30)).toString('latin1');
  return /^(\[Content_Types\]\.xml$|_rels\/|docProps\/|xl\/)/.test(name);
}

/** Refuses what is plainly not UTF-8 text, saying what it looks like. */
function refuseBinary(bytes: Uint8Array): void {
  const unsupported = (what: string, hint: string) =>
    new UserError('file_unsupported', `The file looks like ${what}, not CSV, TSV, JSON, NDJSON text or an Excel workbook (.xlsx); ${hint}`);
  if (startsWith(bytes, ZIP)) throw unsupported('a ZIP archive or an OpenDocument workbook (.ods)', 'save the sheet as .xlsx or CSV (UTF-8), or unpack the archive');
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) throw unsupported('an old Excel workbook (.xls)', 'save it as .xlsx (Excel Workbook) or CSV (UTF-8)');
  if (startsWith(bytes, [0x1f, 0x8b])) throw unsupported('a gzip-compressed file', 'decompress it first');
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46])) throw unsupported('a PDF document', 'export the data as CSV');
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff]))
    throw unsupported('UTF-16 text', 'save it as UTF-8 (in Excel: "CSV UTF-8")');
  // Text has no NUL bytes; UTF-16 without a BOM and binary formats have many.
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) throw unsupported('a binary file (it holds NUL bytes)', 'export the data as CSV (UTF-8), TSV, JSON or NDJSON');
}

/**
 * Refuses a file that has nothing to read (`file_empty`: no bytes, or only
 * blank space) or is not text (`file_unsupported`), from its first bytes.
 */
export function refuseUnreadable(sample: Uint8Array): void {
  if (sample.length === 0) throw new UserError('file_empty', 'The file is empty (0 bytes)');
  if (isXlsx(sample)) return;
  refuseBinary(sample);
  if (sampleText(sample).trim() === '' && sample.length < 64 * 1024) {
    throw new UserError('file_empty', 'The file is empty: it holds only blank lines');
  }
}

/** The sample's text: BOM dropped, a character cut at the end dropped, bad bytes as U+FFFD (detection only). */
export const sampleText = (bytes: Uint8Array): string => new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '').replace(/\uFFFD$/, '');

/** Whether the sample reads as one JSON object per line (two lines are enough to be sure). */
function looksNdjson(text: string): boolean {
  const lines = text.split('\n');
  // The last line may be cut by the end of the sample.
  const complete = lines.slice(0, -1).map((l) => l.trim()).filter((l) => l !== '');
  if (complete.length < 2) return false;
  return complete.slice(0, 2).every((line) => {
    if (!line.startsWith('{') || !line.endsWith('}')) return false;
    try {
      JSON.parse(line);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The format of a file from its first bytes and name. The content decides
 * where it is conclusive (a `.json` file holding one object per line is
 * NDJSON; a `.csv` file separated by tabs is TSV), the extension otherwise.
 * An Excel workbook (.xlsx) is recognised by its content, whatever its name.
 * Throws `file_empty` for a file without content and `file_unsupported`
 * for other workbooks (.xls, .ods), archives, UTF-16 and other binary files. `complete` says
 * the sample is the whole file (its last line is then not cut).
 */
export function sniffFormat(sample: Uint8Array, filename?: string, complete = sample.length < 64 * 1024): FileFormat {
  refuseUnreadable(sample);
  if (isXlsx(sample)) return 'xlsx';
  const text = sampleText(sample);
  const trimmed = text.trimStart();
  const ext = extensionOf(filename);
  if (ext !== 'csv' && ext !== 'tsv' && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
    if (looksNdjson(trimmed)) return 'ndjson';
    return ext === 'ndjson' ? 'ndjson' : 'json';
  }
  if (ext === 'json' || ext === 'ndjson') return ext;
  const dialect = detectDialect(text, complete, {});
  if (dialect.conclusive) return dialect.delimiter === '\t' ? 'tsv' : 'csv';
  return ext ?? 'csv';
}

/**
 * The format of a file: pass a path (its first 64 KiB or more are read) or
 * the first bytes; `filename` adds the original name when the path or bytes
 * do not carry it.
 */
export async function detectFormat(source: string | Uint8Array, filename?: string): Promise<FileFormat> {
  if (typeof source !== 'string') return sniffFormat(source, filename);
  const peeked = await PeekedSource.open(source);
  await peeked.close();
  return sniffFormat(peeked.sample, filename ?? source, peeked.complete);
}

// ---------------------------------------------------------------- CSV dialect

export interface Dialect {
  delimiter: string;
  quote: '"' | "'";
  lineBreak: 'lf' | 'crlf' | 'cr';
  /** Whether the rows agree on a delimiter giving two fields or more; false for a one-column file. */
  conclusive: boolean;
  /** The field count most sample rows have. */
  fieldCount: number;
  /** Sample rows split with the chosen dialect (blank lines dropped). */
  rows: string[][];
}

const SAMPLE_ROWS = 50;

/** Splits sample text into rows, leaving out a last row the sample may have cut. */
export function parseSample(text: string, delimiter: string, quote: string, newline: '\n' | '\r', eof: boolean): string[][] {
  const parser = new Papa.Parser({ delimiter, quoteChar: quote, escapeChar: quote, newline, preview: SAMPLE_ROWS + 1 });
  const result = parser.parse(text, 0, !eof) as { data: string[][] };
  return result.data
    .map((row) => {
      const last = row.length - 1;
      if (row[last]?.endsWith('\r')) row[last] = row[last]!.slice(0, -1);
      return row;
    })
    .filter((row) => !(row.length === 1 && row[0]!.trim() === ''))
    .slice(0, SAMPLE_ROWS);
}

function lineBreakOf(text: string): Dialect['lineBreak'] {
  const lf = text.indexOf('\n');
  if (lf === -1) return text.includes('\r') ? 'cr' : 'lf';
  return lf > 0 && text[lf - 1] === '\r' ? 'crlf' : 'lf';
}

function quoteOf(text: string): '"' | "'" {
  const opens = (q: string) => (text.match(new RegExp(`(^|[,;\\t|])${q}`, 'gm')) ?? []).length;
  return opens('"') === 0 && opens("'") > 0 ? "'" : '"';
}

/** The most common field count and the share of rows having it. */
function consistency(rows: string[][]): { count: number; share: number } {
  const tally = new Map<number, number>();
  for (const row of rows) tally.set(row.length, (tally.get(row.length) ?? 0) + 1);
  let count = 0;
  let best = 0;
  for (const [n, times] of tally) {
    if (times > best || (times === best && n > count)) {
      count = n;
      best = times;
    }
  }
  return { count, share: rows.length === 0 ? 0 : best / rows.length };
}

/**
 * Delimiter, quote and line break from sample text. Each candidate
 * delimiter (`,` `;` tab `|`) splits the sample's rows (quotes respected);
 * the one whose rows most often agree on a field count of two or more wins,
 * then the one giving more fields. `eof` says the sample is the whole file.
 */
export function detectDialect(text: string, eof: boolean, given: { delimiter?: string; quote?: '"' | "'" }): Dialect {
  const quote = given.quote ?? quoteOf(text);
  const lineBreak = lineBreakOf(text);
  const newline = lineBreak === 'cr' ? '\r' : '\n';
  const candidates = given.delimiter !== undefined ? [given.delimiter] : [...CSV_DELIMITERS];
  let best: (Dialect & { share: number }) | null = null;
  for (const delimiter of candidates) {
    const rows = parseSample(text, delimiter, quote, newline, eof);
    const { count, share } = consistency(rows);
    const conclusive = count >= 2;
    const better =
      best === null ||
      (conclusive && !best.conclusive) ||
      (conclusive === best.conclusive && (share > best.share || (share === best.share && count > best.fieldCount)));
    if (better) best = { delimiter, quote, lineBreak, conclusive, fieldCount: Math.max(count, 1), rows, share };
  }
  const { share: _share, ...dialect } = best!;
  if (!dialect.conclusive && given.delimiter === undefined) dialect.delimiter = ',';
  return dialect;
}

/**
 * Whether the first row is a header: every cell is non-empty text (not a
 * number, boolean or date) and no two are the same. When every row is text
 * there is no telling, and a header is assumed, as most files have one;
 * `hasHeader` overrides.
 */
export function detectHeader(rows: readonly string[][]): boolean {
  const first = rows[0];
  if (first === undefined || first.length === 0) return false;
  const seen = new Set<string>();
  for (const cell of first) {
    const text = cell.trim();
    if (text === '') return false;
    const key = text.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    if (inferType(text, { fromText: true }) !== 'string') return false;
  }
  return true;
}
