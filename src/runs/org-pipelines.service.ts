import type { Actor } from '../auth/index.js';
import type { Engine, RunView } from '../engine/index.js';
import { notFound, UserError } from '../errors/index.js';
import type { ConnectionsService } from '../connections/index.js';
import type { FilesService } from '../files/index.js';
import { runCovers, type ForecastsService } from '../forecasts/index.js';
import type { Orchestrator } from '../orchestrators/index.js';
import { FORECAST_DAG, ORG_INGEST_DAG, ORG_LOAD_DAG } from '../pipelines/index.js';
import { isDerivedTableName, type Warehouse } from '../stores/warehouse/index.js';
import { triggerOf } from './runs.service.js';

const actorName = (actor: Actor) => `${actor.type}:${actor.id ?? ''}`;

/** A run in the second seed's words (`dag_run_id`, `start_date`, ...), as its status endpoints answered. */
export function dagRunOf(run: RunView) {
  return {
    dag_id: run.dagId,
    dag_run_id: run.runId,
    state: run.state,
    conf: run.conf,
    trigger: run.trigger,
    queued_at: run.queuedAt,
    start_date: run.startedAt,
    end_date: run.endedAt,
    error: run.error,
    tasks: run.tasks.map((t) => ({
      task_id: t.taskId,
      state: t.state,
      try_number: t.tryNumber,
      start_date: t.startedAt,
      end_date: t.endedAt,
      rows_in: t.rowsIn,
      rows_out: t.rowsOut,
      rows_rejected: t.rowsRejected,
      error: t.error,
    })),
  };
}
export type DagRun = ReturnType<typeof dagRunOf>;

export interface TableStatus {
  table: string;
  row_count: number;
  rejected_count: number;
  updated_at: string | null;
  /** Seconds since the table last changed, null when it has no rows yet. */
  freshness_seconds: number | null;
  last_ingest: DagRun | null;
  last_load: DagRun | null;
  last_forecast: DagRun | null;
  /** The connections (REST sources) that load into this table; their runs both read and load (`etl_workflow_<id>`). */
  connections: string[];
  /** Failed runs of this table's pipelines in the last 7 days. */
  failures: number;
  files: { total: number; landed: number; loaded: number; failed: number };
}

/**
 * The second seed's org-aware pipelines: triggers with its payloads, and the
 * status of each DAG and of each of the organisation's tables.
 */
export class OrgPipelinesService {
  constructor(
    private readonly engine: Engine,
    private readonly orchestrator: Orchestrator,
    private readonly files: FilesService,
    private readonly warehouse: Warehouse,
    private readonly connections: ConnectionsService,
    private readonly forecasts: ForecastsService,
  ) {}

  /** `enhanced_org_aware_ingest_dag` for an uploaded file; 404 for a file of another org or none. */
  async triggerIngest(orgId: string, input: { table: string; file_id: string; user_id?: string | null | undefined; triggered_by?: string | undefined }, actor: Actor): Promise<RunView> {
    const file = await this.files.get(orgId, input.file_id);
    if (file.table !== input.table) {
      throw new UserError('invalid_config', `table: file ${file.fileId} was uploaded for table ${JSON.stringify(file.table)}, not ${JSON.stringify(input.table)}`, {
        details: { issues: [{ field: 'table', message: `must be ${file.table}` }] },
      });
    }
    return this.orchestrator.trigger({
      orgId,
      dagId: ORG_INGEST_DAG,
      trigger: triggerOf(actor),
      conf: { org_id: orgId, table: input.table, file_id: file.fileId, user_id: input.user_id ?? null, triggered_by: input.triggered_by ?? 'api' },
      createdBy: actorName(actor),
    });
  }

  /** `enhanced_mongo_to_postgres_dag` for a table; 404 for a table the organisation has never uploaded to or loaded. */
  async triggerLoad(orgId: string, input: { table: string; triggered_by?: string | undefined }, actor: Actor): Promise<RunView> {
    const known = (await this.files.list(orgId, { table: input.table, limit: 1 })).length > 0 || (await this.warehouse.listTables(orgId)).some((t) => t.name === input.table);
    if (!known) throw notFound('Table', input.table);
    return this.orchestrator.trigger({
      orgId,
      dagId: ORG_LOAD_DAG,
      trigger: triggerOf(actor),
      conf: { org_id: orgId, table: input.table, triggered_by: input.triggered_by ?? 'api' },
      createdBy: actorName(actor),
    });
  }

  /**
   * `forecast_inventory_dag` for `table`, or for every table of the
   * organisation whose forecast is on: one run. `forecast_not_enabled` when
   * the table's forecast is off (or no table has one on), `not_found` for a
   * table the organisation does not have, and `forecast_column_invalid`
   * (naming the setting) for a named table whose columns cannot serve, so
   * the caller hears it now rather than from a failed run.
   */
  async triggerForecast(orgId: string, input: { table?: string | undefined; triggered_by?: string | undefined }, actor: Actor): Promise<RunView> {
    await this.forecasts.tablesToForecast(orgId, input.table);
    if (input.table !== undefined) await this.forecasts.resolve(orgId, input.table);
    return this.orchestrator.trigger({
      orgId,
      dagId: FORECAST_DAG,
      trigger: triggerOf(actor),
      conf: { client_id: orgId, ...(input.table === undefined ? {} : { table: input.table }), triggered_by: input.triggered_by ?? 'api' },
      createdBy: actorName(actor),
    });
  }

  async dagStatus(orgId: string, dagId: string, limit = 25): Promise<{ dag_id: string; dag_runs: DagRun[] }> {
    if (!this.engine.registry.resolve(dagId) && dagId !== FORECAST_DAG) throw notFound('DAG', dagId);
    const runs = await this.engine.runs.list(orgId, { dagId, limit });
    return { dag_id: dagId, dag_runs: runs.map(dagRunOf) };
  }

  async runStatus(orgId: string, dagId: string, runId: string): Promise<DagRun> {
    const run = await this.engine.runs.get(orgId, runId);
    if (run.dagId !== dagId) throw notFound('Run', runId);
    return dagRunOf(run);
  }

  /** `GET /api/airflow/pipeline-status/`: per table of the organisation, its last ingest, load and forecast, counts and freshness. */
  async pipelineStatus(orgId: string, now = new Date()): Promise<{ org_id: string; orchestrator: string; tables: TableStatus[]; totals: { tables: number; rows: number; rejected: number; failures: number; active_runs: number } }> {
    const [tables, byTable, byConnection, connections, files, active, forecastRuns] = await Promise.all([
      this.warehouse.listTables(orgId),
      this.engine.runs.latestByTable(orgId, [ORG_INGEST_DAG, ORG_LOAD_DAG, FORECAST_DAG]),
      this.engine.runs.latestByConnection(orgId),
      this.connections.list(orgId),
      this.files.list(orgId, { limit: 10_000 }),
      this.engine.runs.list(orgId, { state: 'running', limit: 500 }),
      // Forecast runs of every table (no `table` in their conf) count for each table they forecast.
      this.engine.runs.list(orgId, { dagId: FORECAST_DAG, limit: 50 }),
    ]);
    // A connection's run reads its source and loads its table in one run: it is the table's ingest and load alike.
    const tableOf = new Map(connections.map((c) => [c.id, c.destination?.table]));
    const latest = [
      ...byTable,
      ...forecastRuns
        .filter((run) => typeof run.conf.table !== 'string')
        .flatMap((run) => tables.filter((t) => runCovers(run, t.name)).map((t) => ({ table: t.name, dagId: FORECAST_DAG, latest: run, failures: 0, connectionId: undefined as string | undefined }))),
      ...byConnection.flatMap((c) => {
        const table = tableOf.get(c.connectionId);
        return table ? [ORG_INGEST_DAG, ORG_LOAD_DAG].map((as) => ({ table, dagId: as, latest: c.latest, failures: as === ORG_LOAD_DAG ? c.failures : 0, connectionId: c.connectionId })) : [];
      }),
    ];
    // Derived tables (`<table>__plan`, `<table>__forecast`) are the forecast's results, shown with their table.
    const names = new Set([...tables.filter((t) => !isDerivedTableName(t.name)).map((t) => t.name), ...latest.map((l) => l.table), ...files.map((f) => f.table)]);
    const newest = (a: RunView, b: RunView) => (a.queuedAt > b.queuedAt || (a.queuedAt === b.queuedAt && a.runId > b.runId) ? a : b);
    const result: TableStatus[] = [...names].sort().map((name) => {
      const summary = tables.find((t) => t.name === name);
      const of = (dagId: string) =>
        latest
          .filter((l) => l.table === name && l.dagId === dagId)
          .map((l) => l.latest)
          .reduce<RunView | undefined>((a, b) => (a ? newest(a, b) : b), undefined);
      const own = files.filter((f) => f.table === name);
      return {
        table: name,
        row_count: summary?.rowCount ?? 0,
        rejected_count: summary?.rejectedCount ?? 0,
        updated_at: summary?.updatedAt ?? null,
        freshness_seconds: summary ? Math.max(0, Math.round((now.getTime() - new Date(summary.updatedAt).getTime()) / 1000)) : null,
        last_ingest: of(ORG_INGEST_DAG) ? dagRunOf(of(ORG_INGEST_DAG)!) : null,
        last_load: of(ORG_LOAD_DAG) ? dagRunOf(of(ORG_LOAD_DAG)!) : null,
        last_forecast: of(FORECAST_DAG) ? dagRunOf(of(FORECAST_DAG)!) : null,
        connections: connections.filter((c) => c.destination?.table === name).map((c) => c.id),
        failures: latest.filter((l) => l.table === name).reduce((sum, l) => sum + l.failures, 0),
        files: {
          total: own.length,
          landed: own.filter((f) => f.status === 'landed').length,
          loaded: own.filter((f) => f.status === 'loaded').length,
          failed: own.filter((f) => f.status === 'failed').length,
        },
      };
    });
    return {
      org_id: orgId,
      orchestrator: this.orchestrator.kind,
      tables: result,
      totals: {
        tables: result.length,
        rows: result.reduce((s, t) => s + t.row_count, 0),
        rejected: result.reduce((s, t) => s + t.rejected_count, 0),
        failures: result.reduce((s, t) => s + t.failures, 0),
        active_runs: active.length,
      },
    };
  }
}
