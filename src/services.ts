import type { Config } from './config/index.js';
import type { Database } from './db/index.js';
import { migrate, openDatabase, type MigrationReport } from './db/index.js';
import { AuditService } from './audit/index.js';
import { LoginService, OrgsService, TokensService, UsersService } from './auth/index.js';
import { ConnectionsService } from './connections/index.js';
import { NotificationsService, type RunNotification } from './notifications/index.js';
import { createHttpClient, type HttpClient } from './connectors/http/transport/index.js';
import type { Logger } from './logger.js';
import { resolveSecretKey, SecretBox } from './secrets/index.js';
import { createWarehouse, type Warehouse } from './stores/warehouse/index.js';
import { MongoRawStore, PostgresRawStore, type RawStore } from './stores/raw/index.js';
import { Engine, RunStore, ScheduleStore } from './engine/index.js';
import { createForecastPool, type ForecastPool } from './forecast/index.js';
import { ForecastsService } from './forecasts/index.js';
import { AirflowClient, AirflowOrchestrator, BuiltinOrchestrator, type Orchestrator } from './orchestrators/index.js';
import { createPipelineRegistry, type PipelineDeps } from './pipelines/index.js';
import { AirflowTasksService, OrgPipelinesService, RunsService, SchedulesService } from './runs/index.js';
import { FilesService, TableSettingsStore } from './files/index.js';
import { QualityStore } from './quality/index.js';
import { RetentionService } from './retention/index.js';
import { Metrics } from './metrics/index.js';
import path from 'node:path';

/**
 * The domain services, plain objects wired once per process. The HTTP API,
 * the CLI and (later) workers all use these; none of them knows about HTTP.
 */
export interface Services {
  config: Config;
  db: Database;
  logger: Logger;
  orgs: OrgsService;
  users: UsersService;
  tokens: TokensService;
  login: LoginService;
  audit: AuditService;
  connections: ConnectionsService;
  /** Run notifications: webhook and e-mail targets, and sending to them. */
  notifications: NotificationsService;
  /** Outbound access to source APIs: one pooled, SSRF-guarded HTTP client per process. */
  sources: { client: HttpClient };
  /** Each organisation's typed tables: its own database on a server, its own schema when embedded. */
  warehouse: Warehouse;
  /** Records as sources gave them, before typing: replayable loads. In the database, or in MongoDB when MONGO_URI is set. */
  raw: RawStore;
  /** The builtin orchestrator (stores of runs and schedules, worker pool, scheduler); started by `sluice start` and `sluice worker`. */
  engine: Engine;
  /** Who executes runs: the builtin engine, or Airflow when configured. */
  orchestrator: Orchestrator;
  runs: RunsService;
  schedules: SchedulesService;
  /** Uploaded files (streamed to SLUICE_UPLOAD_DIR) and how their tables load. */
  files: FilesService;
  tableSettings: TableSettingsStore;
  quality: QualityStore;
  /** Each table's forecast settings and published forecasts (forecast_inventory_dag). */
  forecasts: ForecastsService;
  /** The second seed's org-aware pipelines: triggers and status. */
  orgPipelines: OrgPipelinesService;
  /** Tasks Airflow asks Sluice to run (the generated DAG files call back). */
  airflowTasks: AirflowTasksService;
  /** Deletes raw records and audit events past their retention; started by `sluice start` and `sluice worker`. */
  retention: RetentionService;
  /** Prometheus metrics for `GET /metrics`; undefined when off (SLUICE_METRICS, SLUICE_METRICS_TOKEN). */
  metrics: Metrics | undefined;
  /** What opening the database applied (startServices migrates before anything else runs). */
  startupMigrations: MigrationReport | undefined;
  /** Flushes pending audit writes and closes the database. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Seals stored secrets; from SLUICE_SECRET_KEY or the data directory's generated key. */
  secretBox: SecretBox;
  startupMigrations?: MigrationReport | undefined;
  /** The raw store when it is not the database's own (MongoDB: see openRawStore); the services close it. */
  raw?: RawStore | undefined;
}

/**
 * The raw store of the configuration: MongoDB when MONGO_URI is set (one
 * collection per organisation and table, in MONGO_DATABASE), else the
 * metadata database's own tables (undefined: createServices makes it).
 */
export async function openRawStore(config: Config, db: Database): Promise<RawStore | undefined> {
  if (!config.mongo) return undefined;
  const orgs = new OrgsService(db);
  return MongoRawStore.connect({
    uri: config.mongo.uri,
    database: config.mongo.database,
    appName: 'sluice',
    // MongoDB knows no organisations: an unknown one is refused as the database's foreign key refuses it.
    orgExists: async (orgId) => (await orgs.find(orgId)) !== undefined,
  });
}

export function createServices(config: Config, db: Database, logger: Logger, options: ServiceOptions): Services {
  const orgs = new OrgsService(db);
  const raw = options.raw ?? new PostgresRawStore(db);
  const connections = new ConnectionsService(db, options.secretBox);
  const users = new UsersService(db);
  const tokens = new TokensService(db);
  const audit = new AuditService(db, logger.child({ component: 'audit' }));
  const client = createHttpClient({ policy: config.sources });
  const warehouse = createWarehouse({
    db,
    database: config.database,
    prefix: config.warehousePrefix,
    spoolDir: path.join(config.dataDir, 'tmp'),
  });
  const notifications = new NotificationsService({
    db,
    box: options.secretBox,
    client,
    policy: config.sources,
    logger: logger.child({ component: 'notifications' }),
    smtp: config.notifications,
  });
  const files = new FilesService(db, config.uploads.dir, config.uploads.maxBytes);
  const tableSettings = new TableSettingsStore(db);
  const quality = new QualityStore(db);
  const forecasts = new ForecastsService({ db, warehouse, tableSettings, runs: new RunStore(db), schedules: new ScheduleStore(db) });
  // Worker threads for forecasting, made when a shard first needs them; idle threads exit after a minute.
  let forecastPool: ForecastPool | undefined;
  const deps: PipelineDeps = {
    connections,
    client,
    raw,
    warehouse,
    files,
    tableSettings,
    quality,
    forecasts,
    forecastPool: () => (forecastPool ??= createForecastPool({ ...(config.forecast.threads ? { threads: config.forecast.threads } : {}), idleTimeoutMs: 60_000 })),
    async findRun(orgId, runId) {
      const run = await engine.runs.findById(runId);
      return run && run.orgId === orgId ? run : undefined;
    },
    async notifyForecast(orgId, runId, reorder, signal) {
      const run = await engine.runs.get(orgId, runId);
      const notification: RunNotification = {
        event: 'forecast.reorder',
        orgId,
        runId,
        dagId: run.dagId,
        connectionId: null,
        state: run.state,
        trigger: run.trigger,
        startedAt: run.startedAt,
        endedAt: null,
        tasks: [],
        url: config.http.publicUrl ? new URL(`/forecasts/${encodeURIComponent(reorder.table)}`, config.http.publicUrl).toString() : undefined,
        reorder,
      };
      const outcomes = await notifications.notify(notification, signal ? { signal } : {});
      const count = (status: string) => outcomes.filter((o) => o.status === status).length;
      return { sent: count('sent'), failed: count('failed'), skipped: count('skipped') };
    },
    async triggerDag(request) {
      if (!engine.registry.resolve(request.dagId)) return null;
      if (request.runId) {
        const existing = await engine.runs.findById(request.runId);
        if (existing) return existing.runId;
      }
      const run = await orchestrator.trigger(request);
      return run.runId;
    },
    async notifyRun(orgId, runId, event, signal, secrets) {
      const run = await engine.runs.get(orgId, runId);
      const notification: RunNotification = {
        event,
        orgId,
        runId,
        dagId: run.dagId,
        connectionId: run.connectionId,
        state: event === 'run.failed' ? 'failed' : 'success',
        trigger: run.trigger,
        startedAt: run.startedAt,
        endedAt: new Date().toISOString(),
        tasks: run.tasks.map((t) => ({ taskId: t.taskId, state: t.state, tryNumber: t.tryNumber, rowsIn: t.rowsIn, rowsOut: t.rowsOut, rowsRejected: t.rowsRejected, error: t.error })),
        url: config.http.publicUrl ? new URL(`/runs/${encodeURIComponent(runId)}`, config.http.publicUrl).toString() : undefined,
      };
      // What goes to a third party passes through the run's secrets, whatever the tasks stored.
      const outcomes = await notifications.notify(secrets ? secrets.maskDeep(notification) : notification, signal ? { signal } : {});
      const count = (status: string) => outcomes.filter((o) => o.status === status).length;
      return { sent: count('sent'), failed: count('failed'), skipped: count('skipped') };
    },
  };
  const engine = new Engine({
    db,
    registry: createPipelineRegistry(deps, [], { forecastShards: config.forecast.shards }),
    logger: logger.child({ component: 'engine' }),
    workerConcurrency: config.engine.workerConcurrency,
    orgMaxActiveTasks: config.engine.orgMaxActiveTasks,
    leaseSeconds: config.engine.leaseSeconds,
    scheduler: config.engine.scheduler,
    soleWorker: config.database.kind === 'pglite',
    runRetentionDays: config.engine.runRetentionDays,
    // Airflow's schedules, while Airflow cannot fire them (SLUICE_AIRFLOW_FALLBACK=builtin).
    scheduleHandovers: () => {
      const fallback = orchestrator.schedulesFallback?.();
      return fallback ? [{ orchestrator: orchestrator.kind, ...fallback }] : [];
    },
  });
  const metrics = config.metrics.enabled
    ? new Metrics({
        db,
        engine,
        logger: logger.child({ component: 'metrics' }),
        orgLabels: config.metrics.orgLabels,
        dagLabels: config.metrics.dagLabels,
        workerSlots: config.engine.workerConcurrency,
        audit,
      })
    : undefined;
  const builtin = new BuiltinOrchestrator(engine);
  const retention = new RetentionService({ orgs, raw, audit, files, logger: logger.child({ component: 'retention' }) }, config.retention);
  const airflowClient = config.airflow
    ? new AirflowClient({ apiUrl: config.airflow.apiUrl, username: config.airflow.username, password: config.airflow.password, uiUrl: config.airflow.uiUrl, logger: logger.child({ component: 'airflow' }) })
    : undefined;
  const orchestrator: Orchestrator = airflowClient
    ? new AirflowOrchestrator({
        client: airflowClient,
        dagsFolder: config.airflow!.dagsFolder,
        engine,
        builtin,
        fallback: config.airflow!.fallback,
        scheduleGraceMs: config.airflow!.scheduleGraceSeconds * 1000,
        logger: logger.child({ component: 'airflow' }),
      })
    : builtin;
  return {
    config,
    db,
    logger,
    orgs,
    users,
    tokens,
    audit,
    startupMigrations: options.startupMigrations,
    connections,
    notifications,
    sources: { client },
    warehouse,
    raw,
    engine,
    orchestrator,
    runs: new RunsService(engine, orchestrator, connections),
    schedules: new SchedulesService(engine, orchestrator, connections),
    files,
    tableSettings,
    quality,
    forecasts,
    orgPipelines: new OrgPipelinesService(engine, orchestrator, files, warehouse, connections, forecasts),
    airflowTasks: new AirflowTasksService(engine, connections, orgs, config.engine.leaseSeconds),
    retention,
    metrics,
    login: new LoginService(db, orgs, users, tokens, config.auth),
    async close() {
      metrics?.close();
      await retention.stop();
      await orchestrator.stop?.();
      await engine.stop();
      await forecastPool?.destroy();
      await airflowClient?.close();
      await audit.flush();
      await client.close();
      await warehouse.close();
      await raw.close();
      await db.close();
    },
  };
}

/** Opens the configured database, applies pending migrations and wires the services. */
export async function startServices(
  config: Config,
  logger: Logger,
  options: { applicationName?: string } = {},
): Promise<{ services: Services; migrations: MigrationReport }> {
  const db = await openDatabase(config.database, {
    ...options,
    onTakeOver: (previous) =>
      logger.warn({ previous: { host: previous.host, pid: previous.pid }, dataDir: config.dataDir }, `took over the data directory from Sluice process ${previous.pid}, which is no longer running (killed or crashed)`),
  });
  try {
    const migrations = await migrate(db);
    const secretBox = new SecretBox(await resolveSecretKey(config, logger));
    if (migrations.applied.length > 0) {
      logger.info({ applied: migrations.applied.map((m) => `${m.id}_${m.name}`) }, 'database migrated');
    }
    const raw = await openRawStore(config, db);
    if (raw) logger.info({ database: config.mongo!.database }, 'raw store: MongoDB');
    const services = createServices(config, db, logger, { secretBox, startupMigrations: migrations, raw });
    const sealed = await services.connections.sealUrlCredentials();
    if (sealed > 0) logger.warn({ connections: sealed }, 'sealed credentials found in connection URLs; saving such a connection again asks for them in its auth settings');
    return { services, migrations };
  } catch (error) {
    await db.close();
    throw error;
  }
}
