/**
 * The data path every pipeline shares: records land in the raw store, then
 * are mapped and loaded into the organisation's warehouse table. Sources
 * (API pages, file batches) stream through in batches; nothing here holds a
 * whole input.
 */
export { landInRaw, type LandResult } from './land.js';
export { toLoadBatches, type SourceBatch } from './map.js';
export { loadFromRaw, type LoadFromRawOptions, type LoadFromRawResult } from './load-from-raw.js';
export { FILE_SAMPLE_ROWS, inferFileMappings, pathFor } from './file-schema.js';
export { wrapRejection, unwrapRejection, RAW_REJECTION_KEY } from './raw-rejection.js';
