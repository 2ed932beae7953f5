import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { openApiText } from '../web/scripts/openapi-document.js';

/**
 * The web app's API types come from the committed web/src/api/openapi.json:
 * a route changed without regenerating it would leave the browser's types
 * describing another API.
 */
it('keeps web/src/api/openapi.json the document the server serves (run `npm run web:api-types` after changing a route)', async () => {
  const committed = readFileSync(new URL('../web/src/api/openapi.json', import.meta.url), 'utf8');
  expect(JSON.parse(committed)).toEqual(JSON.parse(await openApiText()));
}, 60_000);
