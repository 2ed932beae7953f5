import { z } from 'zod';

/** The file formats Sluice reads. */
export const FileFormat = z.enum(['csv', 'tsv', 'json', 'ndjson', 'xlsx']);
export type FileFormat = z.infer<typeof FileFormat>;

export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;

/** 16 MiB: a row (CSV line, NDJSON line, JSON array element) longer than this is rejected, not buffered. */
export const DEFAULT_MAX_ROW_BYTES = 16 * 1024 * 1024;

/** How to read a file. Everything is optional: what is not given is detected. */
export const ReadFileOptions = z.object({
  /** Detected from the filename and the first bytes when absent. */
  format: FileFormat.optional(),
  /** The original file name, for detection when reading a stream (or a path without the real extension). */
  filename: z.string().max(1000).optional(),
  /** Records (plus rejected rows) per batch. */
  batchSize: z.number().int().min(1).max(1_000_000).default(5000),
  /** A longer row is rejected with a reason and skipped, so memory stays bounded. */
  maxRowBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(DEFAULT_MAX_ROW_BYTES),
  /** CSV/TSV: the field delimiter; detected from the first rows when absent (TSV: tab). */
  delimiter: z.enum(CSV_DELIMITERS).optional(),
  /** CSV/TSV: the quote character; `"` unless the first rows only quote with `'`. */
  quote: z.enum(['"', "'"]).optional(),
  /** CSV/TSV: whether the first row names the columns; detected when absent. */
  hasHeader: z.boolean().optional(),
  /**
   * CSV/TSV: what a quoted empty cell (`""`) becomes. An unquoted empty cell
   * is always null. `null` (the default) because tools that quote every
   * cell write `""` for a missing number, which as `''` would reject the
   * row when typed; `empty` keeps `''`, as PostgreSQL's COPY does.
   */
  quotedEmpty: z.enum(['null', 'empty']).default('null'),
  /** XLSX: the sheet to read, by name or by position from 1; the workbook's first sheet when absent. */
  sheet: z.string().trim().min(1).max(200).optional(),
});
export type ReadFileOptions = z.input<typeof ReadFileOptions>;
export type ResolvedReadFileOptions = z.output<typeof ReadFileOptions>;

/** One record read from the file; `rowNumber` counts data rows from 1 (header and blank lines excluded). */
export const FileRecord = z.object({
  rowNumber: z.number().int().positive(),
  data: z.record(z.string(), z.unknown()),
});
export type FileRecord = z.infer<typeof FileRecord>;

/** A row that could not become a record, with what it held and why. */
export const FileRejection = z.object({
  rowNumber: z.number().int().positive(),
  /** CSV/NDJSON: the row's text (without its line break); JSON: the element. */
  raw: z.unknown(),
  /** The column at fault, or null when it is the row as a whole. */
  field: z.string().nullable(),
  reason: z.string(),
});
export type FileRejection = z.infer<typeof FileRejection>;

/** Records and rejected rows, in file order within each list. */
export const FileBatch = z.object({
  records: z.array(FileRecord),
  rejected: z.array(FileRejection),
});
export type FileBatch = z.infer<typeof FileBatch>;

/** A CSV column: its header as written (null without a header) and the column name it became. */
export const FileColumn = z.object({
  index: z.number().int().nonnegative(),
  header: z.string().nullable(),
  name: z.string(),
});
export type FileColumn = z.infer<typeof FileColumn>;

/** What reading found; complete once the iteration ends. */
export const FileReadSummary = z.object({
  /** Null until the file is opened and its format known. */
  format: FileFormat.nullable(),
  /** Data rows seen: `records + rejected`, always. */
  rowsRead: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  /** Bytes read from the source so far. */
  bytes: z.number().int().nonnegative(),
  encoding: z.literal('utf-8'),
  /** Whether the file started with a UTF-8 byte order mark (removed). */
  bom: z.boolean(),
  /** Rows rejected because they held bytes that are not UTF-8. */
  invalidUtf8Rows: z.number().int().nonnegative(),
  /** Blank lines skipped (CSV, NDJSON); they are not rows. */
  blankLines: z.number().int().nonnegative(),
  /** CSV/TSV dialect; null for JSON. */
  delimiter: z.string().nullable(),
  quote: z.string().nullable(),
  hasHeader: z.boolean().nullable(),
  lineBreak: z.enum(['lf', 'crlf', 'cr']).nullable(),
  /** CSV/TSV: header → column name, in file order; null for JSON (keys vary by record). */
  columns: z.array(FileColumn).nullable(),
  /** JSON: where the records were, `$` (a top-level array) or `$.data` (the one array of a top-level object). */
  recordsPath: z.string().nullable(),
  /** Things worth telling the person who uploaded the file (a header without rows, an ignored key...). */
  notes: z.array(z.string()),
  /** Whether the whole file was read (false while reading, or when the consumer stopped early). */
  complete: z.boolean(),
});
export type FileReadSummary = z.infer<typeof FileReadSummary>;
