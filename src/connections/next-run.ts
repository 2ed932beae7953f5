import { HttpExtraction, type PlannedRequest } from '../connectors/http/extract.js';
import type { HttpClient } from '../connectors/http/transport/index.js';
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
