import path from 'node:path';
import type { DatabaseConfig } from '../config/index.js';
import { takeDataDirLock } from './data-dir.lock.js';
import type { ProcessIdentity } from '../process-identity.js';
import { embeddedStartParams, PgliteDatabase } from './pglite.database.js';
import { ensureTemplate } from './pglite-template.js';
import { PostgresDatabase } from './postgres.database.js';
import type { Database } from './types.js';

export type { Database, DatabaseKind, PoolStats, Queryable, QueryResult } from './types.js';
export { METADATA_SCHEMA } from './types.js';
export { migrate, loadMigrations, type Migration, type MigrationReport } from './migrate.js';
export { lockDataDir, takeDataDirLock, isDataDirLocked, LOCK_STALE_MS, type ReleaseLock, type LockTaken } from './data-dir.lock.js';
export { PgliteDatabase, EMBEDDED_SETTINGS } from './pglite.database.js';
export { isDataDir, templateDir } from './pglite-template.js';

/** Makes the embedded database's template (see pglite-template.ts); undefined when its cache cannot be written. */
export const ensureEmbeddedTemplate = (): Promise<string | undefined> => ensureTemplate(embeddedStartParams());
export { PostgresDatabase } from './postgres.database.js';

/** Where PGlite keeps its files inside the data directory. */
export const pgliteDir = (dataDir: string): string => path.join(dataDir, 'pgdata');

export interface OpenOptions {
  applicationName?: string;
  /** Called when the embedded data directory's lock belonged to a process that died, and was taken over. */
  onTakeOver?: (previous: ProcessIdentity) => void;
}

/**
 * Opens the configured database. For the embedded kind it first takes the
 * data directory lock (throwing `data_dir_locked` when another live process
 * has it; taking it over when its owner died) and releases it again on close.
 */
export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  if (config.kind === 'postgres') {
    return new PostgresDatabase({ url: config.url, poolMax: config.poolMax, ...(options.applicationName ? { applicationName: options.applicationName } : {}) });
  }
  const { release, tookOverFrom } = await takeDataDirLock(config.dataDir);
  if (tookOverFrom) options.onTakeOver?.(tookOverFrom);
  try {
    return await PgliteDatabase.open(pgliteDir(config.dataDir), release);
  } catch (error) {
    await release();
    throw error;
  }
}
export { iso, isoOrNull, isDataException, isUniqueViolation } from './rows.js';
export { escapeCodeUnit, storableJson, storableText, unstorableText } from './text.js';
export { int4ArrayBinary, int4ArrayOf, int4Of, int8Of, parseCopyBinary, sqlLiteral, timestamptzOf } from './copy-binary.js';
