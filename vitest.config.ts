import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // web/**: component tests; each file picks its DOM environment (// @vitest-environment happy-dom).
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts', 'web/src/**/*.test.tsx'],
    environment: 'node',
    // Each test file starts its own embedded PostgreSQL (~3 s) or server database.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
    env: { NODE_ENV: 'test' },
  },
});
