#!/usr/bin/env node
// Starts the Sluice CLI. From a source checkout it runs the TypeScript in src/
// through tsx (no build step); from a built package it runs dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/bin.ts', import.meta.url);
const built = new URL('../dist/cli/bin.js', import.meta.url);

if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(built.href);
}
