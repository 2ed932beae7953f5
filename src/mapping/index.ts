/**
 * The mapping part: JSONPath, type conversion and inference, column names,
 * and the mapper that turns source records into warehouse rows. See README.md.
 */
export { ColumnName, Identifier, SYSTEM_COLUMN_NAMES, ColumnType, FieldMapping, RejectedRecord, SchemaColumn, type FieldMappingInput } from './mapping.schema.js';
export { compilePath, compilePathAll, plainKeyPath } from './jsonpath.js';
export { coerce, type CoerceResult } from './coerce.js';
export { inferType, widenType, SchemaInferrer, type InferOptions } from './infer.js';
export { toColumnName, uniqueColumnNames, ColumnNamer, renamedSystemColumns } from './column-name.js';
export { createMapper, MAX_AUTO_COLUMNS, type Mapper, type MapResult } from './mapper.js';
export { keyPathsOf } from './key-paths.js';
export { ColumnProfile, OUTLIER_SHARE, pathFor, RecordProfiles } from './tolerant-schema.js';
