import { z } from 'zod';

/** The column types a field can be mapped to (CONTRACT.md, Connections). */
export const ColumnType = z.enum(['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'json']);
export type ColumnType = z.infer<typeof ColumnType>;

/**
 * Names of PostgreSQL's system columns: every table has them, so a column of
 * that name cannot be created ("column name "ctid" conflicts with a system
 * column name").
 */
export const SYSTEM_COLUMN_NAMES: ReadonlySet<string> = new Set(['ctid', 'oid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);

/** A name in the warehouse (table or column): safe unquoted, and never one of Sluice's own `_sluice_*` names. */
export const Identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be 1-63 characters of a-z, 0-9 and _, not starting with a digit' })
  .refine((v) => !v.startsWith('_sluice_'), { message: 'names starting with _sluice_ are reserved' });

/** A column name in the warehouse: an Identifier that is not a PostgreSQL system column's name. */
export const ColumnName = Identifier.refine((v) => !SYSTEM_COLUMN_NAMES.has(v), {
  error: (issue) => `"${String(issue.input)}" is the name of a PostgreSQL system column (${[...SYSTEM_COLUMN_NAMES].join(', ')}); use another name, such as "${String(issue.input)}_"`,
});

/** One source field (a JSONPath into the record) → one typed column. */
export const FieldMapping = z.object({
  source: z.string().min(1).max(500).describe('JSONPath into the record, e.g. `$.address.city`'),
  target: ColumnName,
  type: ColumnType.default('string'),
  required: z.boolean().default(false),
  /** Used when the source is missing or null; must itself coerce to `type`. */
  default: z.unknown().optional(),
});
export type FieldMapping = z.infer<typeof FieldMapping>;
export type FieldMappingInput = z.input<typeof FieldMapping>;

/** A column of an inferred or mapped schema. */
export const SchemaColumn = z.object({ name: z.string(), type: ColumnType, nullable: z.boolean() });
export type SchemaColumn = z.infer<typeof SchemaColumn>;

/** Why one record (or one field of it) was not accepted. */
export const RejectedRecord = z.object({
  record: z.unknown(),
  field: z.string().nullable(),
  reason: z.string(),
});
export type RejectedRecord = z.infer<typeof RejectedRecord>;
