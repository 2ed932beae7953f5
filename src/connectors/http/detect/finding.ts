import { z } from 'zod';

/** How sure detection is of one proposal: verified by reading on (high), read from names and shapes (medium), a guess (low), nothing found (none). */
export const Confidence = z.enum(['high', 'medium', 'low', 'none']);
export type Confidence = z.infer<typeof Confidence>;

/** One decision of detection, with what decided it. */
export interface Finding<T = unknown> {
  value: T;
  confidence: Confidence;
  /** What was seen, in words a person can check against the API's answer. */
  evidence: string[];
  alternatives?: unknown[];
}

export const FindingSchema = z.object({
  value: z.unknown(),
  confidence: Confidence,
  evidence: z.array(z.string()),
  alternatives: z.array(z.unknown()).optional(),
});
