import { z } from 'zod';
import { FieldMapping } from '../mapping/index.js';

export const FileStatus = z.enum(['uploaded', 'landed', 'loaded', 'failed']);
export type FileStatus = z.infer<typeof FileStatus>;

export const FileRecord = z.object({
  file_id: z.string().describe('the file id, named as the second seed names it (POST /api/files/ answers file_id)'),
  fileId: z.string().describe('the same id under its earlier name, kept for existing scripts'),
  orgId: z.string(),
  userId: z.string().nullable(),
  table: z.string(),
  name: z.string(),
  size: z.number().int(),
  checksum: z.string().describe('sha256 of the bytes, hex'),
  format: z.string().nullable(),
  status: FileStatus,
  rowsRead: z.number().int().nullable(),
  records: z.number().int().nullable(),
  rejected: z.number().int().nullable().describe('Rows the reader could not read (ragged, bad quotes, invalid UTF-8)'),
  rowsLoaded: z.number().int().nullable(),
  rowsRejected: z.number().int().nullable().describe('Rows rejected in all: by the reader and by typing'),
  ingestRunId: z.string().nullable(),
  loadRunId: z.string().nullable(),
  fieldMappings: z
    .array(FieldMapping)
    .nullable()
    .describe('The columns inferred while the file was landed: source field, column name and type'),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  sheet: z.string().nullable().describe('The sheet of an .xlsx workbook that is read (by name or position); null: the first'),
  purgedAt: z.string().nullable().describe('When retention (SLUICE_UPLOAD_RETENTION_DAYS) deleted the uploaded bytes; the loaded rows and the raw records stay'),
});
export type FileRecord = z.infer<typeof FileRecord>;
