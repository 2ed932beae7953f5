import type { RawSource, RawStore } from '../stores/raw/index.js';

export interface LandResult {
  /** Records received from the source. */
  records: number;
  /** Records newly stored (fewer when an earlier try already stored some). */
  stored: number;
}

/**
 * Writes a source's records to the raw store, numbering them 1, 2, ... in
 * the order they come, so that writing the same source again stores nothing
 * twice. `onBatch` sees the running count (progress, logs).
 */
export async function landInRaw(
  raw: RawStore,
  orgId: string,
  table: string,
  source: RawSource,
  batches: AsyncIterable<readonly unknown[]>,
  options: { signal?: AbortSignal | undefined; onBatch?: ((records: number) => void) | undefined } = {},
): Promise<LandResult> {
  let records = 0;
  let stored = 0;
  for await (const batch of batches) {
    options.signal?.throwIfAborted();
    if (batch.length === 0) continue;
    const start = records;
    stored += await raw.writeBatch(orgId, table, source, batch.map((data, i) => ({ rowNumber: start + i + 1, data })));
    records += batch.length;
    options.onBatch?.(records);
  }
  return { records, stored };
}
