/**
 * Sluice's OpenAPI document as its route schemas produce it, without a
 * database server or a listening port: the Fastify app built on a throwaway
 * in-memory PGlite. Written by `npm run web:api-types`; a test checks the
 * committed copy is current.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServer } from '../../src/api/index.js';
import { parseConfig } from '../../src/config/index.js';
import { migrate, PgliteDatabase } from '../../src/db/index.js';
import { silentLogger } from '../../src/logger.js';
import { SecretBox } from '../../src/secrets/index.js';
import { createServices } from '../../src/services.js';

/** The document as the committed web/src/api/openapi.json holds it (JSON, two-space indent, final newline). */
export async function openApiText(): Promise<string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-openapi-'));
  const db = await PgliteDatabase.open();
  try {
    await migrate(db);
    const config = parseConfig({ NODE_ENV: 'test', SLUICE_DATA_DIR: dataDir }, process.cwd());
    const services = createServices(config, db, silentLogger(), { secretBox: new SecretBox('openapi generation key, never used to encrypt') });
    const app = await buildServer({ services });
    try {
      const document = app.swagger() as { info?: { version?: string } };
      // The version changes every release; keeping it out keeps the generated files stable.
      if (document.info) document.info.version = '0';
      return `${JSON.stringify(document, null, 2)}\n`;
    } finally {
      await app.close();
      await services.engine.stop();
      await services.sources.client.close();
      await services.warehouse.close();
    }
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
