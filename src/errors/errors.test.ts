import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, exitCodeFor, TransientError, UserError, type ErrorCode } from './index.js';

describe('errors', () => {
  it('maps bad input to exit code 2 and failed operations to 1', () => {
    expect(exitCodeFor(new UserError('validation_failed', 'x'))).toBe(2);
    expect(exitCodeFor(new UserError('invalid_config', 'x'))).toBe(2);
    expect(exitCodeFor(new UserError('conflict', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });

  it('knows which failures may be retried', () => {
    expect(new TransientError('database_unavailable', 'x').retryable).toBe(true);
    expect(new UserError('not_found', 'x').retryable).toBe(false);
    expect(new AppError('internal', 'x').status).toBe(500);
  });

  it('documents every code in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const missing = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
