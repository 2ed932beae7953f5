import { z } from 'zod';
import { ApiConfig, Parameter } from '../connectors/http/config.schema.js';
import { ColumnName, FieldMapping, Identifier } from '../mapping/mapping.schema.js';

/** Connection ids become part of DAG ids (`etl_workflow_<id>`), so they use Airflow's safe alphabet. */
export const ConnectionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, {
    message: 'must be 1-100 characters of letters, digits, _, . and -, starting with a letter or digit',
  });

export const WriteMode = z.enum(['append', 'replace', 'upsert']);

/** Where the records land. `upsert` needs a primaryKey; validate.ts checks it with the other cross-field rules. */
export const Destination = z.object({
  table: Identifier,
  writeMode: WriteMode.default('append'),
  primaryKey: z.array(ColumnName).max(16).optional(),
});
export type Destination = z.infer<typeof Destination>;

export const Incremental = z.object({
  /** A top-level field name, or a JSONPath, whose highest value is remembered between runs. */
  cursorField: z.string().trim().min(1).max(500),
});

/** What a person sends to create a connection (CONTRACT.md). */
export const ConnectionInput = z.object({
  id: ConnectionId.optional(),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  apiConfig: ApiConfig,
  parameters: z.array(Parameter).max(100).default([]),
  fieldMappings: z.array(FieldMapping).max(500).default([]),
  destination: Destination.optional(),
  incremental: Incremental.optional(),
});
export type ConnectionInput = z.input<typeof ConnectionInput>;
export type ConnectionConfig = z.infer<typeof ConnectionInput>;

/** What a preview of an unsaved connection reads: the connection, its name optional (it plays no part in a preview). */
export const PreviewInput = ConnectionInput.extend({ name: z.string().trim().max(200).optional() });

/** A saved connection as the API returns it: secrets replaced by the mask. */
export const Connection = ConnectionInput.extend({
  id: ConnectionId,
  orgId: z.string(),
  destination: Destination,
  cursor: z.unknown().nullable().describe('The committed incremental cursor'),
  lastRunAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Connection = z.infer<typeof Connection>;

/** The partial update of PATCH: top-level fields replace, `apiConfig` fields replace one by one. */
export const ConnectionPatch = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  apiConfig: z.record(z.string(), z.unknown()).optional(),
  parameters: z.array(Parameter).max(100).optional(),
  fieldMappings: z.array(FieldMapping).max(500).optional(),
  destination: Destination.optional(),
  incremental: Incremental.nullable().optional(),
});
export type ConnectionPatch = z.infer<typeof ConnectionPatch>;
