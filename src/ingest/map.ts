import type { Mapper } from '../mapping/index.js';
import type { LoadBatch, LoadRejectedRow } from '../stores/warehouse/index.js';

/** Records as a reader or the raw store gives them, with what the reader already rejected. */
export interface SourceBatch {
  records: readonly { rowNumber: number; data: unknown }[];
  rejected?: readonly { rowNumber: number; raw: unknown; field: string | null; reason: string }[];
}

/** Source batches → load batches: each record mapped to a row or rejected with its reason, row numbers kept for lineage. */
export async function* toLoadBatches(mapper: Mapper, batches: AsyncIterable<SourceBatch>, signal?: AbortSignal): AsyncGenerator<LoadBatch> {
  for await (const batch of batches) {
    signal?.throwIfAborted();
    const rows: Record<string, unknown>[] = [];
    const rowNumbers: number[] = [];
    const rejected: LoadRejectedRow[] = (batch.rejected ?? []).map((r) => ({ raw: r.raw, field: r.field, reason: r.reason, rowNumber: r.rowNumber }));
    for (const record of batch.records) {
      const result = mapper.map(record.data);
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
