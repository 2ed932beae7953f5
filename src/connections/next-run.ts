import { HttpExtraction, type PlannedRequest, type RequestLogEntry } from '../connectors/http/extract.js';
import type { StopReason } from '../connectors/http/paginators/index.js';
import type { HttpClient } from '../connectors/http/transport/index.js';
import { createMapper, type RejectedRecord } from '../mapping/index.js';
import type { Warehouse } from '../stores/warehouse/index.js';
import { SecretMasker } from '../secrets/index.js';
import type { ConnectionConfig } from './connection.schema.js';
import type { ConnectionState } from './connections.service.js';

export interface NextRun {
  /** When the schedule fires next; null without a schedule, or while it is paused. */
  scheduledAt: string | null;
  /** What the templates will see: `now` is the fire time (or this moment, unscheduled). */
  context: { now: string; lastRunAt: string | null; cursor: string | number | null };
  /** The first request of the run, secrets masked; later pages follow the pagination. */
  request: PlannedRequest;
  pagination: ConnectionConfig['apiConfig']['pagination']['type'];
}

/**
 * What a connection's next run will send, before it runs: its first request
 * rendered with the state the run will read (the last successful run's start
 * and the committed cursor, as they are now) and the fire time. Nothing is
 * sent; a template that cannot render is answered as at save time.
 */
export function planNextRun(config: ConnectionConfig, state: ConnectionState, scheduledAt: Date | null, client: HttpClient): NextRun {
  const now = scheduledAt ?? new Date();
  const extraction = new HttpExtraction(config, { now, ...state }, client, { secrets: new SecretMasker() });
  try {
    return {
      scheduledAt: scheduledAt?.toISOString() ?? null,
      context: { now: now.toISOString(), lastRunAt: state.lastRunAt?.toISOString() ?? null, cursor: state.cursor ?? null },
      request: extraction.firstRequest(),
      pagination: config.apiConfig.pagination.type,
    };
  } catch (error) {
    throw extraction.secrets.maskError(error);
  }
}

/** How much a dry run reads at most: enough to judge, bounded like a preview. */
export const DRY_RUN_RECORDS = 1000;
const DRY_RUN_PAGES = 20;
const DRY_RUN_SAMPLE = 20;

export interface DryRun extends NextRun {
  /** Records read, and whether that was all the run would read (false when the dry run's limit stopped it). */
  read: number;
  complete: boolean;
  stopReason: StopReason | null;
  /** Rows the mapping made, and what loading them would do (upsert: by the primary key; append and replace insert all). */
  rows: number;
  wouldInsert: number;
  wouldUpdate: number;
  /** `replace` swaps the whole table for the rows read. */
  writeMode: string;
  sample: Record<string, unknown>[];
  rejected: { count: number; first: RejectedRecord[] };
  requests: RequestLogEntry[];
}

/**
 * The next run, done without writing anything: its requests sent with the
 * next run's context (up to DRY_RUN_RECORDS records), its records mapped,
 * and its rows compared with the table by the primary key. Nothing is
 * landed, loaded or committed (the cursor and last_run_at stay).
 */
export async function dryRunNextRun(
  orgId: string,
  config: ConnectionConfig,
  state: ConnectionState,
  scheduledAt: Date | null,
  deps: { client: HttpClient; warehouse: Pick<Warehouse, 'countExistingKeys'> },
  signal?: AbortSignal,
): Promise<DryRun> {
  const secrets = new SecretMasker();
  const plan = planNextRun(config, state, scheduledAt, deps.client);
  const extraction = new HttpExtraction(config, { now: new Date(plan.context.now), ...state }, deps.client, {
    maxRecords: DRY_RUN_RECORDS,
    maxPages: DRY_RUN_PAGES,
    signal,
    secrets,
  });
  try {
    const mapper = createMapper(config.fieldMappings);
    const rows: Record<string, unknown>[] = [];
    const rejected: RejectedRecord[] = [];
    let rejectedCount = 0;
    let read = 0;
    for await (const batch of extraction.batches()) {
      for (const record of batch) {
        if (read >= DRY_RUN_RECORDS) break;
        read++;
        const mapped = mapper.map(record);
        if (mapped.ok) rows.push(mapped.row);
        else if (rejectedCount++ < DRY_RUN_SAMPLE) rejected.push(mapped.rejected);
      }
    }
    const destination = config.destination!;
    const key = destination.writeMode === 'upsert' ? (destination.primaryKey ?? []) : [];
    let wouldInsert = rows.length;
    if (key.length > 0) {
      const distinct = new Map(rows.map((row) => [JSON.stringify(key.map((c) => row[c] ?? null)), key.map((c) => row[c] ?? null)]));
      const existing = await deps.warehouse.countExistingKeys(orgId, destination.table, key, [...distinct.values()]);
      wouldInsert = distinct.size - existing;
    }
    const stoppedByUs = extraction.stopReason === 'record_limit' || (extraction.stopReason === 'max_pages' && extraction.requestCount >= DRY_RUN_PAGES);
    return secrets.maskDeep({
      ...plan,
      read,
      complete: !stoppedByUs,
      stopReason: extraction.stopReason ?? null,
      rows: rows.length,
      wouldInsert,
      wouldUpdate: rows.length - wouldInsert,
      writeMode: destination.writeMode,
      sample: rows.slice(0, DRY_RUN_SAMPLE),
      rejected: { count: rejectedCount, first: rejected },
      requests: extraction.requests,
    });
  } catch (error) {
    throw secrets.maskError(error);
  }
}
