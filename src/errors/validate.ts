import type { z } from 'zod';
import { validationFailed, type FieldIssue } from './index.js';

/** Zod issues as `{ field, message }`, the field as a dotted path (`apiConfig.headers.Accept`). */
export function fieldIssues(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return { field: [prefix, path].filter(Boolean).join('.') || prefix || '(input)', message: issue.message };
  });
}

/**
 * Parses `value` with `schema`, throwing a `validation_failed` UserError that
 * names every bad field. `field` names the value when it is a single field.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, field?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(fieldIssues(result.error, field));
  return result.data;
}
