import { readFile, type FileFormat, type FileSource, type ReadFileOptions } from '../connectors/file/index.js';
import { ColumnNamer, type FieldMappingInput } from '../mapping/index.js';
import { ColumnProfile } from './tolerant-schema.js';

/** Rows an upload's column types are inferred from, before its rows are loaded. */
export const FILE_SAMPLE_ROWS = 20_000;

/** A JSONPath to a top-level key: `$.name` when it is a plain name (the fast load path takes those), else `$['…']`. */
export const pathFor = (key: string): string =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `$.${key}` : `$['${key.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;

/**
 * The columns of an uploaded file, from its first `rows` rows: each field
 * named as a column, typed by what nearly all its values agree on
 * (tolerant-schema.ts). Rows further down whose values do not fit are
 * rejected with their reason when the file is loaded, as the preview's
 * sampling would have them.
 */
export async function inferFileMappings(source: FileSource, read: ReadFileOptions = {}, rows = FILE_SAMPLE_ROWS): Promise<{ mappings: FieldMappingInput[]; format: FileFormat | null }> {
  const reader = readFile(source, { ...read, batchSize: Math.min(rows, 5000) });
  const profiles = new Map<string, ColumnProfile>();
  let seen = 0;
  for await (const batch of reader) {
    const fromText = reader.summary.format === 'csv' || reader.summary.format === 'tsv';
    for (const record of batch.records) {
      for (const [key, value] of Object.entries(record.data)) {
        let profile = profiles.get(key);
        if (!profile) profiles.set(key, (profile = new ColumnProfile()));
        profile.observe(value, fromText);
      }
    }
    seen += batch.records.length + batch.rejected.length;
    if (seen >= rows) break;
  }
  const namer = new ColumnNamer();
  return {
    format: reader.summary.format,
    mappings: [...profiles].map(([key, profile]) => ({ source: pathFor(key), target: namer.nameFor(key), type: profile.type().type })),
  };
}
