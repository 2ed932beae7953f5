import { EventEmitter } from 'node:events';
import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { PipelineRegistry } from './model.js';
import type { RunStore } from './run-store.js';
import { dueFireTimes, MISSED_RUN_DEFAULTS } from './schedule/index.js';
import type { ScheduleStore } from './schedule-store.js';

export interface SchedulerOptions {
  db: Database;
  runs: RunStore;
  schedules: ScheduleStore;
  registry: PipelineRegistry;
  logger: Logger;
  /** How often due schedules are looked for. Default 1 s: a run starts within a second or so of its time. */
  tickMs?: number;
  /** Schedules handled per transaction. */
  batchSize?: number;
  /** Called after runs were created, so that workers in this process start at once. */
  onRunsCreated?: (count: number) => void;
  /**
   * Asked at every tick: other orchestrators' schedules this scheduler fires
   * meanwhile, because their orchestrator cannot (Airflow unreachable).
   */
  handovers?: () => readonly ScheduleHandover[];
  now?: () => Date;
}

/**
 * Schedules of another orchestrator (`orchestrator`, as the schedule names
 * it) that the builtin engine fires while that orchestrator cannot: fire
 * times after `since` only (earlier ones were the other orchestrator's),
 * each run noting `note`. The unique (schedule, fire time) of runs keeps a
 * fire time from running twice when the other orchestrator fires it too.
 */
export interface ScheduleHandover {
  orchestrator: string;
  since: Date;
  note: string;
}

/** What `fired` tells: a run created for a fire time. */
export interface ScheduleFiredEvent {
  scheduleId: string;
  orgId: string;
  dagId: string;
  pipeline: string;
  runId: string;
  fireAt: Date;
  /** When the run was created (fire time to this: the scheduler's lag). */
  createdAt: Date;
  /** The orchestrator whose schedule this was, when it was handed over; null for the builtin engine's own. */
  handedOverBy: string | null;
}

/**
 * Fires CRON schedules: each tick locks the due schedules (SKIP LOCKED),
 * works out which fire times to run under the missed-run policy, and creates
 * one run per fire time. The unique key (schedule_id, fire_at) on runs makes
 * that exactly once, however many schedulers run against one database and
 * however their ticks interleave.
 *
 * Events: `fired` (ScheduleFiredEvent) for every run it created.
 */
export class Scheduler extends EventEmitter {
  readonly #o: Required<Omit<SchedulerOptions, 'onRunsCreated'>> & Pick<SchedulerOptions, 'onRunsCreated'>;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<unknown> = Promise.resolve();
  #stopped = true;

  constructor(options: SchedulerOptions) {
    super();
    this.#o = { tickMs: 1000, batchSize: 100, now: () => new Date(), handovers: () => [], ...options };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = () => {
      if (this.#stopped) return;
      this.#ticking = this.tick()
        .catch((error: unknown) => this.#o.logger.error({ err: error }, 'scheduler tick failed; trying again'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.tickMs);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
  }

  /** One pass over due schedules; returns how many runs it created. */
  async tick(): Promise<number> {
    let created = 0;
    for (;;) {
      const { handled, runs } = await this.#batch();
      created += runs;
      // Workers start on each batch's runs while the next batch is being created.
      if (runs > 0) this.#o.onRunsCreated?.(runs);
      if (handled < this.#o.batchSize) break;
    }
    return created;
  }

  async #batch(): Promise<{ handled: number; runs: number }> {
    const now = this.#o.now();
    const handovers = new Map(this.#o.handovers().map((h) => [h.orchestrator, h]));
    const fired: ScheduleFiredEvent[] = [];
    const result = await this.#o.db.transaction(async (tx) => {
      const due = await this.#o.schedules.lockDue(tx, now, this.#o.batchSize, ['builtin', ...handovers.keys()]);
      let runs = 0;
      for (const schedule of due) {
        const handover = schedule.orchestrator === 'builtin' ? undefined : handovers.get(schedule.orchestrator);
        const log = this.#o.logger.child({ orgId: schedule.org_id, scheduleId: schedule.id, dagId: schedule.dag_id });
        const resolved = this.#o.registry.resolve(schedule.dag_id);
        const { due: fireTimes, next } = dueFireTimes({
          cronExpression: schedule.cron_expression,
          timezone: schedule.timezone,
          // A handed-over schedule's earlier fire times were its own orchestrator's to run.
          lastFireAt: handover && handover.since > schedule.last_fire_at ? handover.since : schedule.last_fire_at,
          now,
          policy: schedule.missed_run_policy,
          windowMs: schedule.missed_run_window_seconds * 1000,
        });
        if (!resolved) {
          log.error('schedule names a DAG no pipeline runs; it stays as it is until fixed');
        } else {
          // A handed-over schedule overlaps only with runs this engine runs: its orchestrator's own are out of reach.
          const overlaps = () => this.#o.runs.hasActiveRun(schedule.org_id, schedule.dag_id, tx, handover ? 'builtin' : undefined);
          let active = schedule.overlap_policy === 'skip' && (await overlaps());
          for (const fireAt of fireTimes) {
            if (active) {
              log.warn({ fireAt }, 'skipped a fire time: the previous run of this schedule is still active (overlap policy "skip")');
              continue;
            }
            const run = await this.#o.runs.createRun(
              {
                orgId: schedule.org_id,
                dagId: schedule.dag_id,
                pipeline: resolved.pipeline,
                connectionId: schedule.connection_id,
                scheduleId: schedule.id,
                fireAt,
                trigger: 'schedule',
                conf: { ...(schedule.conf ?? {}), fire_at: fireAt.toISOString(), ...(handover ? { fallback_from: schedule.orchestrator } : {}) },
                maxActiveRuns: schedule.max_active_runs,
                note: handover?.note,
              },
              tx,
            );
            if (run) {
              runs += 1;
              if (handover) log.warn({ runId: run.runId, fireAt, orchestrator: schedule.orchestrator }, `schedule fired on the builtin engine: ${handover.note}`);
              else log.info({ runId: run.runId, fireAt }, 'schedule fired');
              fired.push({
                scheduleId: schedule.id,
                orgId: schedule.org_id,
                dagId: schedule.dag_id,
                pipeline: resolved.pipeline.name,
                runId: run.runId,
                fireAt,
                createdAt: new Date(run.queuedAt),
                handedOverBy: handover ? schedule.orchestrator : null,
              });
            }
            active = schedule.overlap_policy === 'skip';
          }
        }
        // Every fire time up to now is handled (run, or dropped by the missed-run policy), unless the
        // 'all' policy hit its limit: then carry on from the last one at the next tick.
        const truncated = fireTimes.length >= MISSED_RUN_DEFAULTS.limit;
        await tx.query('UPDATE schedules SET last_fire_at = GREATEST(last_fire_at, $2), next_fire_at = $3 WHERE id = $1', [
          schedule.id,
          truncated ? fireTimes.at(-1)! : now,
          truncated ? now : next,
        ]);
      }
      return { handled: due.length, runs };
    });
    // Told once the runs are committed (a rolled-back batch created none).
    for (const event of fired) this.emit('fired', event);
    return result;
  }
}
