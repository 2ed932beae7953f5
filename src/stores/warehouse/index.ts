/**
 * The warehouse: each organisation's typed tables in PostgreSQL, created
 * and evolved from a schema, loaded with COPY, read by the Data API.
 * See README.md.
 */
export { createWarehouse, loadEncoded, type DerivedTables, type Warehouse, type WarehouseOptions } from './warehouse.js';
export { DERIVED_SUFFIXES, isDerivedTableName, type DerivedColumn, type PublishRequest, type StagedTable, type StageRequest } from './derived.js';
export { CopyBytes } from './copy-bytes.js';
export { encodeValue } from './copy-text.js';
export {
  ExportPart,
  LoadOptions,
  LoadRejectedRow,
  PageOptions,
  RejectedEntry,
  RowsOptions,
  TableSummary,
  WriteMode,
  type CopyTarget,
  type EncodedBatch,
  type EnsureTableOptions,
  type LoadBatch,
  type LoadResult,
  type RejectedPage,
  type RowsPage,
  type TableExport,
  type TableDefinition,
  type WarehouseLocation,
} from './warehouse.schema.js';
export { PG_TYPES } from './column-types.js';
export { csvLines } from './export.js';
export { checkColumnName, checkTableName, MAX_TABLE_NAME_LENGTH, quoteIdent, qualify, rejectedTableName } from './identifiers.js';
