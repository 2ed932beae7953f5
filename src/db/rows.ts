/** Helpers to turn database rows into API shapes the same way on both drivers. */
export const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();

export const isoOrNull = (value: Date | string | null | undefined): string | null =>
  value === null || value === undefined ? null : iso(value);

/** SQLSTATE of a unique violation, for turning a race into a 409. */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: string }).code === '23505';

/**
 * A value PostgreSQL refused (SQLSTATE class 22, data exception: a NUL byte,
 * an unsupported Unicode escape in jsonb, a number out of range, a malformed
 * date), as opposed to a lost connection or a bug in a statement.
 */
export const isDataException = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && code.startsWith('22');
};

/** Rejects when `promise` has not settled within `ms`; the promise itself runs on. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
