/**
 * Writes Sluice's OpenAPI document to web/src/api/openapi.json without a
 * database server or a listening port: builds the Fastify app on a throwaway
 * in-memory PGlite and asks it for the document its route schemas produce.
 * `npm run web:api-types` then turns it into web/src/api/schema.d.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer } from '../../src/api/index.js';
import { parseConfig } from '../../src/config/index.js';
import { migrate, PgliteDatabase } from '../../src/db/index.js';
import { silentLogger } from '../../src/logger.js';
import { SecretBox } from '../../src/secrets/index.js';
import { createServices } from '../../src/services.js';

const out = fileURLToPath(new URL('../src/api/openapi.json', import.meta.url));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-openapi-'));
try {
  const db = await PgliteDatabase.open();
  await migrate(db);
  const config = parseConfig({ NODE_ENV: 'test', SLUICE_DATA_DIR: dataDir }, process.cwd());
  const services = createServices(config, db, silentLogger(), { secretBox: new SecretBox('openapi generation key, never used to encrypt') });
  const app = await buildServer({ services });
  const document = app.swagger() as { info?: { version?: string } };
  // The version changes every release; keeping it out keeps the generated files stable.
  if (document.info) document.info.version = '0';
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
  await services.engine.stop();
  await services.sources.client.close();
  await services.warehouse.close();
  await db.close();
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
