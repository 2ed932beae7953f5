import type { ConnectionConfig, ConnectionState } from '../connections/index.js';
import type { HttpClient } from '../connectors/http/transport/index.js';
import type { FilesService, TableSettingsStore } from '../files/index.js';
import type { ForecastPool } from '../forecast/index.js';
import type { ForecastsService } from '../forecasts/index.js';
import type { RunView } from '../engine/index.js';
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
  /** Forecast settings and results (forecast_inventory_dag). */
  forecasts: ForecastsService;
  /** This process's worker threads for forecasting, shared by the shards it runs (made on first use). */
  forecastPool(): ForecastPool;
  /** A run of the organisation, or undefined (for telling whether a staging table's run ended). */
  findRun(orgId: string, runId: string): Promise<RunView | undefined>;
  /**
   * Sends `forecast.reorder` (the items at or below their reorder point,
   * capped, and their count) to the organisation's targets; never throws
   * for a failed delivery.
   */
  notifyForecast(
    orgId: string,
    runId: string,
    reorder: { table: string; count: number; items: Record<string, unknown>[]; itemColumns: string[] },
    signal?: AbortSignal,
  ): Promise<{ sent: number; failed: number; skipped: number }>;
  /**
   * Starts a run of another DAG (a downstream pipeline); returns its run id,
   * or null when no pipeline runs that DAG. With `runId`, a run of that id
   * that exists already is the answer (a retried trigger starts nothing).
   */
  triggerDag(request: { orgId: string; dagId: string; conf: Record<string, unknown>; trigger: TriggerKind; createdBy?: string | null; runId?: string }): Promise<string | null>;
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
