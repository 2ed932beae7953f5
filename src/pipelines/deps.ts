import type { ConnectionConfig, ConnectionState } from '../connections/index.js';
import type { HttpClient } from '../connectors/http/transport/index.js';
import type { FilesService, TableSettingsStore } from '../files/index.js';
import type { QualityStore } from '../quality/index.js';
import type { RawStore } from '../stores/raw/index.js';
import type { SecretMasker } from '../secrets/index.js';
import type { TriggerKind } from '../engine/index.js';
import type { Warehouse } from '../stores/warehouse/index.js';

/** What the pipelines need of the rest of Sluice; services.ts wires the real parts in. */
export interface PipelineDeps {
  connections: {
    getForExtraction(orgId: string, id: string): Promise<{ config: ConnectionConfig; state: ConnectionState }>;
    saveCursorCandidate(orgId: string, id: string, value: unknown, runId: string): Promise<void>;
    commitCursor(orgId: string, id: string, runId: string, runStartedAt: Date): Promise<void>;
  };
  client: HttpClient;
  raw: RawStore;
  warehouse: Warehouse;
  files: FilesService;
  tableSettings: TableSettingsStore;
  quality: QualityStore;
  /** Starts a run of another DAG (a downstream pipeline); returns its run id, or null when no pipeline runs that DAG. */
  triggerDag(request: { orgId: string; dagId: string; conf: Record<string, unknown>; trigger: TriggerKind; createdBy?: string | null }): Promise<string | null>;
  /**
   * Sends the run's notification to the org's and connection's targets, with
   * `secrets` masked in it; never throws for a failed delivery.
   */
  notifyRun(
    orgId: string,
    runId: string,
    event: 'run.succeeded' | 'run.failed',
    signal?: AbortSignal,
    secrets?: SecretMasker,
  ): Promise<{ sent: number; failed: number; skipped: number }>;
}
