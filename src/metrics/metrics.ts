import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/index.js';
import type { AttemptEndEvent, AttemptEvent, Engine, RunEndEvent, ScheduleFiredEvent } from '../engine/index.js';
import type { Logger } from '../logger.js';
import { activeRuns, activeTasks, failingSchedules, readyQueue, scheduleCounts, schedulerOverdue, type GaugeGrouping } from './gauges.sql.js';

export interface MetricsOptions {
  db: Database;
  engine: Engine;
  logger: Logger;
  /** Label series with the organisation (SLUICE_METRICS_ORG_LABELS). */
  orgLabels: boolean;
  /** Label series with the DAG id (SLUICE_METRICS_DAG_LABELS). */
  dagLabels: boolean;
  /** SLUICE_WORKER_CONCURRENCY of this process. */
  workerSlots: number;
  /** The audit trail of this process, whose failed writes are counted. */
  audit?: { readonly failedWrites: number };
}

/** A route label for requests no route matched: every unknown URL counts as one series. */
export const UNMATCHED_ROUTE = '(unmatched)';

const SECONDS_HTTP = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SECONDS_TASK = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];
const SECONDS_LAG = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Sluice's Prometheus metrics (see docs/operations.md, Metrics): counters fed
 * by the engine's events in this process (attempts, runs ended, rows, the
 * scheduler's lag) and by the HTTP server, and gauges read from the
 * database at each scrape (active runs and tasks, the queue, schedules),
 * which describe every process sharing it. Labels are bounded: the pipeline,
 * task, state and route pattern; the organisation and the DAG id only when
 * opted in. Each instance has its own registry.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #o: MetricsOptions;
  readonly #grouping: GaugeGrouping;
  readonly #unsubscribe: (() => void)[] = [];
  /** Start times of this process's running attempts, for their durations. */
  readonly #started = new Map<string, number>();
  /** A scrape in progress: scrapes at the same time share it (the gauges are reset and refilled by one at a time). */
  #scraping: Promise<string> | undefined;

  readonly #http: { requests: Counter; duration: Histogram };
  readonly #work: {
    runs: Gauge;
    runsEnded: Counter;
    tasks: Gauge;
    attempts: Counter;
    taskDuration: Histogram;
    rawLanded: Counter;
    rowsLoaded: Counter;
    rowsRejected: Counter;
  };
  readonly #queue: { ready: Gauge; oldest: Gauge; slots: Gauge; busy: Gauge };
  readonly #scheduler: { lag: Histogram; overdue: Gauge; schedules: Gauge; failing: Gauge; fallbackRuns: Counter };
  readonly #database: { up: Gauge; pool: { max: Gauge; connections: Gauge; waiting: Gauge } | undefined };

  constructor(options: MetricsOptions) {
    this.#o = options;
    this.#grouping = { org: options.orgLabels, dag: options.dagLabels };
    const registers = [this.registry];
    const work = ['pipeline', ...(options.dagLabels ? ['dag'] : []), ...(options.orgLabels ? ['org'] : [])];
    const org = options.orgLabels ? ['org'] : [];
    collectDefaultMetrics({ register: this.registry });

    this.#http = {
      requests: new Counter({ name: 'sluice_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status.', labelNames: ['method', 'route', 'status'], registers }),
      duration: new Histogram({ name: 'sluice_http_request_duration_seconds', help: 'Time to answer HTTP requests, by method and route pattern.', labelNames: ['method', 'route'], buckets: SECONDS_HTTP, registers }),
    };
    this.#work = {
      runs: new Gauge({ name: 'sluice_runs', help: 'Runs queued or running now (all processes), by pipeline and state.', labelNames: [...work, 'state'], registers }),
      runsEnded: new Counter({ name: 'sluice_runs_ended_total', help: 'Runs this process ended (its attempt was their last, or a cancel), by pipeline and state.', labelNames: [...work, 'state'], registers }),
      tasks: new Gauge({ name: 'sluice_tasks', help: 'Tasks queued, up for retry or running now (all processes), by pipeline and state.', labelNames: [...work, 'state'], registers }),
      attempts: new Counter({
        name: 'sluice_task_attempts_total',
        help: 'Task attempts this process ran, by pipeline, task and outcome (success, failed, up_for_retry, cancelled; lost when its lease was lost).',
        labelNames: [...work, 'task', 'outcome'],
        registers,
      }),
      taskDuration: new Histogram({ name: 'sluice_task_duration_seconds', help: 'Duration of task attempts this process ran, by pipeline and task.', labelNames: ['pipeline', 'task'], buckets: SECONDS_TASK, registers }),
      rawLanded: new Counter({ name: 'sluice_raw_records_landed_total', help: 'Records landed in the raw store by successful attempts, by pipeline.', labelNames: work, registers }),
      rowsLoaded: new Counter({ name: 'sluice_warehouse_rows_loaded_total', help: 'Rows loaded into warehouse tables by successful attempts, by pipeline.', labelNames: work, registers }),
      rowsRejected: new Counter({ name: 'sluice_warehouse_rows_rejected_total', help: 'Rows set aside in <table>__rejected by successful loads, by pipeline.', labelNames: work, registers }),
    };
    this.#queue = {
      ready: new Gauge({ name: 'sluice_queue_ready_tasks', help: "Tasks the builtin engine's workers could claim now (all processes).", labelNames: org, registers }),
      oldest: new Gauge({ name: 'sluice_queue_oldest_ready_seconds', help: 'Seconds the longest-waiting claimable task has waited; 0 when none waits.', labelNames: org, registers }),
      slots: new Gauge({ name: 'sluice_worker_slots', help: 'Tasks this process may run at once (SLUICE_WORKER_CONCURRENCY).', registers }),
      busy: new Gauge({ name: 'sluice_worker_busy_slots', help: 'Task attempts running in this process now.', registers }),
    };
    this.#scheduler = {
      lag: new Histogram({
        name: 'sluice_scheduler_lag_seconds',
        help: 'From a schedule fire time to its run being created (stage="created") and started (stage="started"), for runs this process created or started.',
        labelNames: ['stage'],
        buckets: SECONDS_LAG,
        registers,
      }),
      overdue: new Gauge({ name: 'sluice_scheduler_overdue_seconds', help: "Seconds since the most overdue of the builtin engine's schedules fell due; 0 when none is due.", registers }),
      schedules: new Gauge({ name: 'sluice_schedules', help: 'Schedules, by orchestrator and state (active, paused).', labelNames: ['orchestrator', 'state'], registers }),
      failing: new Gauge({ name: 'sluice_schedules_failing', help: 'Unpaused schedules whose latest run failed.', labelNames: org, registers }),
      fallbackRuns: new Counter({ name: 'sluice_schedule_fallback_runs_total', help: "Runs this process's scheduler fired for another orchestrator's schedules while it was down, by that orchestrator.", labelNames: ['orchestrator'], registers }),
    };
    this.#database = {
      up: new Gauge({ name: 'sluice_database_up', help: 'Whether the metadata database answered the last scrape (1) or not (0).', registers }),
      // A server's pool only: the embedded database has none.
      pool: options.db.poolStats
        ? {
            max: new Gauge({ name: 'sluice_db_pool_max', help: "Most connections this process's pool opens to the database server (SLUICE_DB_POOL_MAX).", registers }),
            connections: new Gauge({ name: 'sluice_db_pool_connections', help: "This process's connections to the database server, by state (busy, idle).", labelNames: ['state'], registers }),
            waiting: new Gauge({ name: 'sluice_db_pool_waiting', help: 'Queries of this process waiting for a free connection.', registers }),
          }
        : undefined,
    };
    const audit = options.audit;
    if (audit) {
      new Counter({
        name: 'sluice_audit_write_failures_total',
        help: 'Audit events this process could not write to the database (each is in its log at error level, whole). Alert on any.',
        registers,
        collect() {
          this.reset();
          this.inc(audit.failedWrites);
        },
      });
    }
    this.#queue.slots.set(options.workerSlots);
    this.#listen(options.engine);
  }

  /** The Content-Type of `scrape()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Counts one answered HTTP request; `route` is the route's pattern (never the URL: its ids would make a series each). */
  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = { method, route: route ?? UNMATCHED_ROUTE };
    this.#http.requests.inc({ ...labels, status: String(status) });
    this.#http.duration.observe(labels, seconds);
  }

  /** The text Prometheus scrapes: the database gauges read now, then everything. */
  scrape(): Promise<string> {
    this.#scraping ??= this.#scrape().finally(() => {
      this.#scraping = undefined;
    });
    return this.#scraping;
  }

  async #scrape(): Promise<string> {
    await this.#readDatabase();
    this.#queue.busy.set(this.#o.engine.pool.activeCount);
    const stats = this.#o.db.poolStats?.();
    const pool = this.#database.pool;
    if (stats && pool) {
      pool.max.set(stats.max);
      pool.connections.set({ state: 'busy' }, stats.total - stats.idle);
      pool.connections.set({ state: 'idle' }, stats.idle);
      pool.waiting.set(stats.waiting);
    }
    return this.registry.metrics();
  }

  /** Stops listening to the engine. */
  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  async #readDatabase(): Promise<void> {
    const { db } = this.#o;
    const by = this.#grouping;
    for (const gauge of [this.#work.runs, this.#work.tasks, this.#queue.ready, this.#queue.oldest, this.#scheduler.schedules, this.#scheduler.failing]) gauge.reset();
    try {
      const [runs, tasks, queue, schedules, overdue, failing] = [
        await activeRuns(db, by),
        await activeTasks(db, by),
        await readyQueue(db, by),
        await scheduleCounts(db),
        await schedulerOverdue(db),
        await failingSchedules(db, by),
      ];
      for (const r of runs) this.#work.runs.set({ ...this.#labels(r.pipeline, r.dag, r.org), state: r.state }, r.n);
      for (const t of tasks) this.#work.tasks.set({ ...this.#labels(t.pipeline, t.dag, t.org), state: t.state }, t.n);
      // Unlabelled, the queue and failing schedules read 0 when empty (alerts compare them); per organisation, only organisations with some.
      if (!by.org) {
        this.#queue.ready.set(0);
        this.#queue.oldest.set(0);
        this.#scheduler.failing.set(0);
      }
      for (const q of queue) {
        this.#queue.ready.set(this.#orgLabel(q.org), q.ready);
        this.#queue.oldest.set(this.#orgLabel(q.org), q.oldestSeconds);
      }
      for (const f of failing) this.#scheduler.failing.set(this.#orgLabel(f.org), f.n);
      for (const s of schedules) this.#scheduler.schedules.set({ orchestrator: s.orchestrator, state: s.paused ? 'paused' : 'active' }, s.n);
      this.#scheduler.overdue.set(overdue);
      this.#database.up.set(1);
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'metrics: could not read the database; its gauges are left out of this scrape');
      this.#database.up.set(0);
    }
  }

  #labels(pipeline: string, dagId: string, orgId: string): Record<string, string> {
    return { pipeline, ...(this.#o.dagLabels ? { dag: dagId } : {}), ...(this.#o.orgLabels ? { org: orgId } : {}) };
  }

  #orgLabel(orgId: string): Record<string, string> {
    return this.#o.orgLabels ? { org: orgId } : {};
  }

  #listen(engine: Engine): void {
    const on = <T>(emitter: NodeJS.EventEmitter, event: string, listener: (e: T) => void) => {
      emitter.on(event, listener);
      this.#unsubscribe.push(() => emitter.off(event, listener));
    };
    const key = (e: AttemptEvent) => `${e.claim.runId}/${e.claim.taskId}/${e.claim.tryNumber}`;
    const task = (pipeline: string, taskId: string) => engine.registry.get(pipeline)?.tasks.find((t) => t.id === taskId);

    on<AttemptEvent>(engine.pool, 'attemptStarted', (e) => {
      this.#started.set(key(e), performance.now());
      // A scheduled run starts with the first try of its first task: fire time → start.
      const { claim } = e;
      const fireAt = typeof claim.conf.fire_at === 'string' ? Date.parse(claim.conf.fire_at) : Number.NaN;
      if (claim.trigger === 'schedule' && claim.tryNumber === 1 && task(claim.pipeline, claim.taskId)?.upstream.length === 0 && Number.isFinite(fireAt)) {
        this.#scheduler.lag.observe({ stage: 'started' }, Math.max(0, (claim.runStartedAt.getTime() - fireAt) / 1000));
      }
    });
    on<AttemptEndEvent>(engine.pool, 'attemptEnded', (e) => {
      const { claim, outcome } = e;
      const labels = this.#labels(claim.pipeline, claim.dagId, claim.orgId);
      const started = this.#started.get(key(e));
      this.#started.delete(key(e));
      if (started !== undefined) this.#work.taskDuration.observe({ pipeline: claim.pipeline, task: claim.taskId }, (performance.now() - started) / 1000);
      this.#work.attempts.inc({ ...labels, task: claim.taskId, outcome: e.taskState ?? 'lost' });
      if (outcome.kind !== 'success' || e.taskState !== 'success') return;
      const writes = task(claim.pipeline, claim.taskId)?.writes;
      if (writes === 'raw') this.#work.rawLanded.inc(labels, outcome.rowsOut ?? 0);
      if (writes === 'warehouse') {
        this.#work.rowsLoaded.inc(labels, outcome.rowsOut ?? 0);
        this.#work.rowsRejected.inc(labels, outcome.rowsRejected ?? 0);
      }
    });
    on<RunEndEvent>(engine.pool, 'runEnded', (e) => {
      const pipeline = engine.registry.resolve(e.dagId)?.pipeline.name ?? 'unknown';
      this.#work.runsEnded.inc({ ...this.#labels(pipeline, e.dagId, e.orgId), state: e.state });
    });
    on<ScheduleFiredEvent>(engine.scheduler, 'fired', (e) => {
      this.#scheduler.lag.observe({ stage: 'created' }, Math.max(0, (e.createdAt.getTime() - e.fireAt.getTime()) / 1000));
      if (e.handedOverBy) this.#scheduler.fallbackRuns.inc({ orchestrator: e.handedOverBy });
    });
  }
}
