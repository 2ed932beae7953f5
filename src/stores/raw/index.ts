/**
 * The raw store: records as sources gave them, per organisation and table,
 * replayable. See README.md.
 *
 * The shared conformance suite is not exported here: it imports vitest (a
 * dev dependency), and everything that imports this file at run time would
 * load it too. Implementations' tests import `./raw-store.conformance.js`.
 */
export type { RawReadOptions, RawRecord, RawRecordInput, RawSource, RawStore } from './raw.store.js';
export { DEFAULT_READ_BATCH, MAX_READ_BATCH } from './checks.js';
export {
  PostgresRawStore,
  MAX_SEGMENT_CHARS,
  WRITE_CHUNK,
  type PostgresRawStoreOptions,
  type RawSegment,
} from './postgres.raw-store.js';
export {
  MongoRawStore,
  DEFAULT_MONGO_DATABASE,
  DEFAULT_LEASE_MS,
  DEFAULT_LEASE_WAIT_MS,
  MAX_PART_CHARS,
  type MongoRawStoreOptions,
} from './mongo.raw-store.js';
