import { z } from 'zod';
import { ERROR_CODES } from '../errors/index.js';

/** The error body of every /api answer, for the OpenAPI document. */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .describe('Error');

/** The error answers most authenticated routes can give. */
export const authErrors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
} as const;

export const IdParams = z.object({ id: z.string().min(1).max(200) });
