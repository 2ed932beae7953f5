import { expect } from 'vitest';
import { UserError } from '../../errors/index.js';

/** ISO strings of dates, for readable assertions. */
export const iso = (dates: readonly (Date | null)[]): (string | null)[] => dates.map((d) => (d ? d.toISOString() : null));

/** Runs `fn`, expects an `invalid_config` UserError, and returns its issues. */
export function issuesOf(fn: () => unknown): { field: string; message: string }[] {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UserError);
  const error = caught as UserError;
  expect(error.code).toBe('invalid_config');
  expect(error.status).toBe(422);
  return (error.details as { issues: { field: string; message: string }[] }).issues;
}
