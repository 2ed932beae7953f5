/** Helpers to turn database rows into API shapes the same way on both drivers. */
export const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();

export const isoOrNull = (value: Date | string | null | undefined): string | null =>
  value === null || value === undefined ? null : iso(value);

/** SQLSTATE of a unique violation, for turning a race into a 409. */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: string }).code === '23505';
