import type { Mapper } from '../mapping/index.js';
import type { LoadBatch, LoadRejectedRow } from '../stores/warehouse/index.js';
import { unwrapRejection } from './raw-rejection.js';

/** Records as a reader or the raw store gives them, with what the reader already rejected. */
export interface SourceBatch {
  records: readonly { rowNumber: number; data: unknown }[];
  rejected?: readonly { rowNumber: number; raw: unknown; field: string | null; reason: string }[];
}

/** Text cells (CSV, TSV): an empty cell is a missing value, not an empty string to type. */
const blankToNull = (data: unknown): unknown => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === 'string' && v.trim() === '' ? null : v;
  return out;
};

/**
 * Source batches → load batches: each record mapped to a row or rejected
 * with its reason, row numbers kept for lineage. Rows the reader rejected
 * (inline, or carried through the raw store) stay rejected with their reason.
 */
export async function* toLoadBatches(mapper: Mapper, batches: AsyncIterable<SourceBatch>, signal?: AbortSignal, options: { textValues?: boolean } = {}): AsyncGenerator<LoadBatch> {
  for await (const batch of batches) {
    signal?.throwIfAborted();
    const rows: Record<string, unknown>[] = [];
    const rowNumbers: number[] = [];
    const rejected: LoadRejectedRow[] = (batch.rejected ?? []).map((r) => ({ raw: r.raw, field: r.field, reason: r.reason, rowNumber: r.rowNumber }));
    for (const record of batch.records) {
      const readerRejection = unwrapRejection(record.data);
      if (readerRejection) {
        rejected.push({ ...readerRejection, rowNumber: record.rowNumber });
        continue;
      }
      const result = mapper.map(options.textValues ? blankToNull(record.data) : record.data);
      if (result.ok) {
        rows.push(result.row);
        rowNumbers.push(record.rowNumber);
      } else {
        rejected.push({ raw: result.rejected.record, field: result.rejected.field, reason: result.rejected.reason, rowNumber: record.rowNumber });
      }
    }
    yield { rows, rejected, rowNumbers };
  }
}
