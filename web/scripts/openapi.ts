/**
 * Writes Sluice's OpenAPI document to web/src/api/openapi.json (see
 * openapi-document.ts); `npm run web:api-types` then turns it into
 * web/src/api/schema.d.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiText } from './openapi-document.js';

const out = fileURLToPath(new URL('../src/api/openapi.json', import.meta.url));
writeFileSync(out, await openApiText());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
