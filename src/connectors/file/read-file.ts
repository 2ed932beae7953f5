import { validationFailed } from '../../errors/index.js';
import { Batcher, type ReadContext } from './batcher.js';
import { readCsv, type CsvRowSink } from './csv.reader.js';
import { refuseUnreadable, sniffFormat } from './detect.js';
import { ReadFileOptions, type FileBatch, type FileFormat, type FileReadSummary, type ResolvedReadFileOptions } from './file.schema.js';
import { readJson } from './json.reader.js';
import { readNdjson } from './ndjson.reader.js';
import { readXlsx } from './xlsx.reader.js';
import { nameOf, PeekedSource, type FileSource } from './source.js';

/** Batches of records from a file, then what reading found. */
export interface FileReader extends AsyncIterable<FileBatch> {
  /** A copy of the statistics so far; complete (`complete: true`) once the iteration has ended. */
  readonly summary: FileReadSummary;
}

const READERS: Record<FileFormat, (source: PeekedSource, ctx: ReadContext) => AsyncGenerator<FileBatch>> = {
  csv: readCsv,
  tsv: readCsv,
  json: readJson,
  ndjson: readNdjson,
  xlsx: readXlsx,
};

function parseOptions(options: ReadFileOptions): ResolvedReadFileOptions {
  const parsed = ReadFileOptions.safeParse(options);
  if (parsed.success) return parsed.data;
  throw validationFailed(parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'options', message: i.message })));
}

const emptySummary = (format: FileFormat | null): FileReadSummary => ({
  format,
  rowsRead: 0,
  records: 0,
  rejected: 0,
  bytes: 0,
  encoding: 'utf-8',
  bom: false,
  invalidUtf8Rows: 0,
  blankLines: 0,
  delimiter: null,
  quote: null,
  hasHeader: null,
  lineBreak: null,
  columns: null,
  recordsPath: null,
  notes: [],
  complete: false,
});

class FileReading implements FileReader {
  readonly #source: FileSource;
  readonly #options: ResolvedReadFileOptions;
  readonly #summary: FileReadSummary;
  readonly #sink: CsvRowSink | undefined;
  #started = false;

  constructor(source: FileSource, options: ResolvedReadFileOptions, sink?: CsvRowSink) {
    this.#source = source;
    this.#options = options;
    this.#sink = sink;
    this.#summary = emptySummary(options.format ?? null);
  }

  get summary(): FileReadSummary {
    return structuredClone(this.#summary);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<FileBatch> {
    // A stream can be read once; one reader, one pass keeps that true for paths too.
    if (this.#started) throw new Error('A FileReader can be iterated only once; call readFile again');
    this.#started = true;
    const source = await PeekedSource.open(this.#source);
    try {
      let format = this.#options.format;
      if (format === undefined) format = sniffFormat(source.sample, nameOf(this.#source, this.#options.filename), source.complete);
      else refuseUnreadable(source.sample);
      this.#summary.format = format;
      const ctx: ReadContext = { options: this.#options, summary: this.#summary, batcher: new Batcher(this.#options.batchSize, this.#summary), sink: this.#sink };
      yield* READERS[format](source, ctx);
      this.#summary.complete = true;
    } finally {
      await source.close();
    }
  }
}

/**
 * Reads a CSV, TSV, JSON or NDJSON file (a path, or a stream of its bytes)
 * as batches of records, in bounded memory. Options are checked now
 * (`validation_failed`); the file is opened when the iteration starts.
 * Fails with `file_empty`, `file_unsupported` or `file_malformed` when
 * nothing (more) can be read; a bad row is a rejected row instead.
 */
export function readFile(source: FileSource, options: ReadFileOptions = {}): FileReader {
  return new FileReading(source, parseOptions(options));
}

/**
 * `readFile`, with a CsvRowSink taking CSV/TSV rows before they become
 * records (the fast ingest path). Rows the sink takes count as records in
 * the summary but are in no batch; after each chunk of the file that gave
 * the sink rows, a batch is yielded (empty if need be) so the consumer can
 * drain what the sink holds. JSON and NDJSON files read as with `readFile`.
 */
export function readFileWithSink(source: FileSource, options: ReadFileOptions, sink: CsvRowSink): FileReader {
  return new FileReading(source, parseOptions(options), sink);
}
