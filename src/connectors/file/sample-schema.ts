import { ColumnNamer, SchemaInferrer, type FieldMappingInput, type SchemaColumn } from '../../mapping/index.js';
import type { FileFormat, FileReadSummary, ReadFileOptions } from './file.schema.js';
import { readFile } from './read-file.js';
import type { FileSource } from './source.js';

export interface SampleSchemaOptions extends ReadFileOptions {
  /** How many rows to read (records and rejected alike). */
  rows?: number;
}

/** The schema inferred from the first rows of a file. */
export interface SchemaSample {
  format: FileFormat;
  /** Columns in file order (CSV) or first-seen order (JSON), named as the warehouse will name them. */
  columns: SchemaColumn[];
  /** One mapping per column, source → column with its type: ready for createMapper. */
  fieldMappings: FieldMappingInput[];
  /** Records the types were inferred from. */
  recordsSampled: number;
  /** Rows of the sample the reader rejected (ragged, bad bytes...). */
  rejectedSampled: number;
  /** The reader's summary over the sampled part (`complete` when the sample was the whole file). */
  summary: FileReadSummary;
}

export const DEFAULT_SAMPLE_ROWS = 1000;

/**
 * Infers column types from the first `rows` rows (default 1000), widening
 * as later rows disagree (integer → number → string, date → timestamp →
 * string). CSV cells are read as text (`42` is an integer, empty is null);
 * JSON values keep their JSON types (strings stay strings unless ISO dates).
 */
export async function sampleSchema(source: FileSource, options: SampleSchemaOptions = {}): Promise<SchemaSample> {
  const { rows = DEFAULT_SAMPLE_ROWS, ...readOptions } = options;
  const reader = readFile(source, { ...readOptions, batchSize: Math.max(1, Math.min(rows, readOptions.batchSize ?? rows)) });
  let inferrer: SchemaInferrer | null = null;
  let rejectedSampled = 0;
  let seen = 0;
  for await (const batch of reader) {
    if (inferrer === null) inferrer = new SchemaInferrer({ fromText: reader.summary.format === 'csv' || reader.summary.format === 'tsv' });
    for (const record of batch.records) {
      if (record.rowNumber > rows) break;
      inferrer.observe(record.data);
    }
    rejectedSampled += batch.rejected.filter((r) => r.rowNumber <= rows).length;
    seen = Math.max(seen, batch.records.at(-1)?.rowNumber ?? 0, batch.rejected.at(-1)?.rowNumber ?? 0);
    if (seen >= rows) break;
  }
  const summary = reader.summary;
  const inferred = inferrer?.columns() ?? [];
  const recordsSampled = inferrer?.recordCount ?? 0;

  if (summary.columns !== null) {
    // CSV: records are keyed by column name already; keep the file's column order, typing columns never seen as text.
    const byName = new Map(inferred.map((c) => [c.name, c]));
    const columns = summary.columns.map((c) => byName.get(c.name) ?? { name: c.name, type: 'string' as const, nullable: true });
    return {
      format: summary.format!,
      columns,
      fieldMappings: columns.map((c) => ({ source: `$[${JSON.stringify(c.name)}]`, target: c.name, type: c.type })),
      recordsSampled,
      rejectedSampled,
      summary,
    };
  }
  // JSON: keys as written become columns named like the auto mapper names them.
  const namer = new ColumnNamer();
  const columns: SchemaColumn[] = [];
  const fieldMappings: FieldMappingInput[] = [];
  for (const c of inferred) {
    const name = namer.nameFor(c.name);
    columns.push({ ...c, name });
    fieldMappings.push({ source: `$[${JSON.stringify(c.name)}]`, target: name, type: c.type });
  }
  return { format: summary.format!, columns, fieldMappings, recordsSampled, rejectedSampled, summary };
}
