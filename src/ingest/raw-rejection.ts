/**
 * A row the file reader could not read (ragged, unclosed quote, invalid
 * UTF-8) still lands in the raw store, wrapped under this key with its
 * reason, so the load can count it and keep it in `<table>__rejected`:
 * raw rows = loaded + rejected, always.
 */
export const RAW_REJECTION_KEY = '$sluice_rejected';

export interface RawRejection {
  raw: unknown;
  field: string | null;
  reason: string;
}

export const wrapRejection = (r: RawRejection): Record<string, RawRejection> => ({ [RAW_REJECTION_KEY]: { raw: r.raw, field: r.field, reason: r.reason } });

export function unwrapRejection(data: unknown): RawRejection | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const inner = (data as Record<string, unknown>)[RAW_REJECTION_KEY];
  if (typeof inner !== 'object' || inner === null) return undefined;
  const r = inner as Partial<RawRejection>;
  return typeof r.reason === 'string' ? { raw: r.raw, field: r.field ?? null, reason: r.reason } : undefined;
}
