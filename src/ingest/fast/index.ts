/**
 * The fast data path: well-formed rows written straight as COPY lines,
 * with exactly the result of the ordinary path (src/ingest). See README.md.
 */
export { landFileFast, loadFileFast, loadRawFast, loadRecordsFast, prefetched, type FastLoadOptions, type RecordBatch } from './load.js';
export { SegmentCopyEncoder, type DeclinedRecord } from './segment-copy.js';
export { CsvJsonSink, type JsonRecords } from './json-sink.js';
export { CsvCopySink, RecordCopyEncoder, type CopyLines } from './copy-sink.js';
