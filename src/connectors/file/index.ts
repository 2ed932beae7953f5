/**
 * connectors/file: streaming readers for uploaded CSV, TSV, JSON and NDJSON
 * files, yielding batches of records in bounded memory, and schema sampling.
 * See README.md.
 */
export {
  CSV_DELIMITERS,
  DEFAULT_MAX_ROW_BYTES,
  FileBatch,
  FileColumn,
  FileFormat,
  FileReadSummary,
  FileRecord,
  FileRejection,
  ReadFileOptions,
} from './file.schema.js';
export { detectFormat, refuseUnreadable, sniffFormat } from './detect.js';
export { findSheet, workbookSheets } from './xlsx.reader.js';
export { readFile, readFileWithSink, type FileReader } from './read-file.js';
export type { CsvRowSink, CsvRowSpans } from './csv.reader.js';
export { sampleSchema, DEFAULT_SAMPLE_ROWS, type SampleSchemaOptions, type SchemaSample } from './sample-schema.js';
export type { FileSource } from './source.js';
