import { readFile, type FileFormat, type FileSource, type ReadFileOptions } from '../connectors/file/index.js';
import type { FieldMappingInput } from '../mapping/index.js';
import { RecordProfiles } from '../mapping/index.js';

export { pathFor } from '../mapping/index.js';

/** Rows an upload's column types are inferred from, before its rows are loaded. */
export const FILE_SAMPLE_ROWS = 20_000;

/**
 * The columns of an uploaded file, from its first `rows` rows: each field
 * named as a column, typed by what nearly all its values agree on
 * (src/mapping/tolerant-schema.ts). Rows further down whose values do not fit are
 * rejected with their reason when the file is loaded, as the preview's
 * sampling would have them.
 */
export async function inferFileMappings(
  source: FileSource,
  read: ReadFileOptions = {},
  rows = FILE_SAMPLE_ROWS,
): Promise<{ mappings: FieldMappingInput[]; notes: string[]; format: FileFormat | null }> {
  const reader = readFile(source, { ...read, batchSize: Math.min(rows, 5000) });
  const profiles = new RecordProfiles();
  let seen = 0;
  for await (const batch of reader) {
    const fromText = reader.summary.format === 'csv' || reader.summary.format === 'tsv';
    for (const record of batch.records) profiles.observe(record.data, fromText);
    seen += batch.records.length + batch.rejected.length;
    if (seen >= rows) break;
  }
  return { format: reader.summary.format, ...profiles.named() };
}
