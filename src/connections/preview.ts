import { HttpExtraction, type RequestLogEntry } from '../connectors/http/extract.js';
import type { StopReason } from '../connectors/http/paginators/index.js';
import type { HttpClient } from '../connectors/http/transport/index.js';
import { createMapper, RecordProfiles, type RejectedRecord, type SchemaColumn } from '../mapping/index.js';
import { SecretMasker } from '../secrets/index.js';
import type { ConnectionConfig } from './connection.schema.js';
import type { ConnectionState } from './connections.service.js';

export interface PreviewResult {
  records: Record<string, unknown>[];
  raw: unknown[];
  schema: SchemaColumn[];
  requests: RequestLogEntry[];
  rejected: RejectedRecord[];
  stopReason: StopReason | null;
  /** Where the records were found (the configured recordsPath, or the one detected). */
  recordsPath: string | null;
}

/** How much a preview reads: enough to show the shape, little enough to answer in seconds. */
export const PREVIEW_RECORDS = 50;
const PREVIEW_PAGES = 5;
const PREVIEW_REJECTED = 50;

/**
 * Reads the first records of a source and maps them, writing nothing: what
 * the "Test" button of the connection form shows. The answer is an API
 * answer made of what the source said, so the connection's secrets are
 * masked in all of it (errors included), records too.
 */
export async function previewConnection(
  config: ConnectionConfig,
  state: ConnectionState,
  client: HttpClient,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<PreviewResult> {
  const secrets = new SecretMasker();
  try {
    return secrets.maskDeep(await preview(config, state, client, secrets, options.signal));
  } catch (error) {
    throw secrets.maskError(error);
  }
}

async function preview(
  config: ConnectionConfig,
  state: ConnectionState,
  client: HttpClient,
  secrets: SecretMasker,
  signal: AbortSignal | undefined,
): Promise<PreviewResult> {
  const mapper = createMapper(config.fieldMappings);
  const extraction = new HttpExtraction(config, { now: new Date(), ...state }, client, {
    maxRecords: PREVIEW_RECORDS,
    maxPages: PREVIEW_PAGES,
    signal,
    secrets,
  });
  const raw: unknown[] = [];
  const records: Record<string, unknown>[] = [];
  const rejected: RejectedRecord[] = [];
  // Auto mode proposes the columns a mapping should have: typed as nearly all values agree (one "eleven"
  // among fifty ids keeps `id` an integer), as uploads are; the mapping saved from it rejects the strays.
  const profiles = mapper.mode === 'auto' ? new RecordProfiles() : undefined;
  for await (const batch of extraction.batches()) {
    for (const record of batch) {
      if (raw.length >= PREVIEW_RECORDS) break;
      raw.push(record);
      const mapped = mapper.map(record);
      if (mapped.ok) {
        records.push(mapped.row);
        profiles?.observe(record as Record<string, unknown>, false);
      } else if (rejected.length < PREVIEW_REJECTED) rejected.push(mapped.rejected);
    }
  }
  const tolerant = new Map(profiles?.mappings().map((m) => [m.target, m.type]) ?? []);
  return {
    records,
    raw,
    schema: mapper.columns().map((c) => ({ ...c, type: tolerant.get(c.name) ?? c.type })),
    requests: extraction.requests,
    rejected,
    stopReason: extraction.stopReason ?? null,
    recordsPath: extraction.recordsPath ?? null,
  };
}
