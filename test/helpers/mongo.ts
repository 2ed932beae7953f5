import { randomBytes } from 'node:crypto';

/**
 * The MongoDB-protocol server of the tests (FerretDB in CI): suites that need
 * one run when TEST_MONGO_URI is set and are skipped otherwise, e.g.
 * `describe.skipIf(!TEST_MONGO_URI)(…)`. In CI it is mandatory.
 */
export const TEST_MONGO_URI = process.env.TEST_MONGO_URI || undefined;

if (!TEST_MONGO_URI && process.env.CI) {
  throw new Error('TEST_MONGO_URI must be set in CI: the MongoDB raw store is tested on a real MongoDB-protocol server');
}

/** A database name of its own for one test file (drop it afterwards). */
export function testMongoDatabase(prefix = 'sluice_t'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}
