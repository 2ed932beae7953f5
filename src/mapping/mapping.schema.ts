import { z } from 'zod';

/** The column types a field can be mapped to (CONTRACT.md, Connections). */
export const ColumnType = z.enum(['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'json']);
export type ColumnType = z.infer<typeof ColumnType>;

/** A column name in the warehouse: safe unquoted, and never one of Sluice's own `_sluice_*` columns. */
export const ColumnName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be 1-63 characters of a-z, 0-9 and _, not starting with a digit' })
  .refine((v) => !v.startsWith('_sluice_'), { message: 'names starting with _sluice_ are reserved' });

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
