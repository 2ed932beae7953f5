// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.sluice/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Output goes through src/cli/output.ts and pino; nothing else prints.
      'no-console': 'error',
    },
  },
  {
    // Benchmarks are command-line reports: printing is their job.
    files: ['bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The web app's build scripts (run by npm) report what they did.
    files: ['web/scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Only the HTTP layer may know Fastify (STYLE.md: dependencies point one way).
    files: ['src/**/*.ts'],
    ignores: ['src/api/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['fastify', 'fastify-*', '@fastify/*'], message: 'Only src/api may import Fastify.' }] }],
    },
  },
  {
    // Settings are parsed once in src/config; nothing else reads the environment.
    files: ['src/**/*.ts'],
    ignores: ['src/config/**', 'src/cli/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings from Config (src/config).' }],
    },
  },
);
