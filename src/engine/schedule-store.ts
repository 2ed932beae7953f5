import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/index.js';
import { iso, isoOrNull, isUniqueViolation } from '../db/index.js';
import { conflict, notFound } from '../errors/index.js';
import type { MissedRunPolicy, OverlapPolicy, ScheduleType } from './schedule/index.js';

/** A schedule as the API answers it (CONTRACT.md, Runs and schedules). */
export interface ScheduleView {
  scheduleId: string;
  orgId: string;
  connectionId: string;
  dagId: string;
  scheduleType: ScheduleType;
  cronExpression: string;
  timezone: string;
  paused: boolean;
  overlapPolicy: OverlapPolicy;
  missedRunPolicy: MissedRunPolicy;
  missedRunWindowSeconds: number;
  maxActiveRuns: number;
  orchestrator: 'builtin' | 'airflow';
  /** The last fire time the scheduler handled (a run created, or one skipped by policy; the creation time at first). */
  handledUntil: string;
  nextFireAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ScheduleRow {
  id: string;
  org_id: string;
  /** The connection whose DAG fires; null for a table's schedule (`table_name`). */
  connection_id: string;
  /** A table's schedule (its forecast): the table, with the run's `conf` below. */
  table_name: string | null;
  /** What the scheduled runs carry in their conf besides `fire_at`. */
  conf: Record<string, unknown> | null;
  dag_id: string;
  schedule_type: ScheduleType;
  cron_expression: string;
  timezone: string;
  paused: boolean;
  overlap_policy: OverlapPolicy;
  missed_run_policy: MissedRunPolicy;
  missed_run_window_seconds: number;
  max_active_runs: number;
  last_fire_at: Date;
  next_fire_at: Date | null;
  orchestrator: 'builtin' | 'airflow';
  created_at: Date;
  updated_at: Date;
}

export const scheduleView = (r: ScheduleRow): ScheduleView => ({
  scheduleId: r.id,
  orgId: r.org_id,
  connectionId: r.connection_id,
  dagId: r.dag_id,
  scheduleType: r.schedule_type,
  cronExpression: r.cron_expression,
  timezone: r.timezone,
  paused: r.paused,
  overlapPolicy: r.overlap_policy,
  missedRunPolicy: r.missed_run_policy,
  missedRunWindowSeconds: r.missed_run_window_seconds,
  maxActiveRuns: r.max_active_runs,
  orchestrator: r.orchestrator,
  handledUntil: iso(r.last_fire_at),
  nextFireAt: isoOrNull(r.next_fire_at),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export interface NewSchedule {
  orgId: string;
  connectionId: string;
  dagId: string;
  scheduleType: ScheduleType;
  cronExpression: string;
  timezone: string;
  paused: boolean;
  overlapPolicy: OverlapPolicy;
  missedRunPolicy: MissedRunPolicy;
  missedRunWindowSeconds: number;
  maxActiveRuns: number;
  orchestrator: 'builtin' | 'airflow';
  nextFireAt: Date | null;
  createdBy: string | null;
}

export type ScheduleChanges = Partial<Pick<NewSchedule, 'scheduleType' | 'cronExpression' | 'timezone' | 'paused' | 'overlapPolicy' | 'missedRunPolicy' | 'missedRunWindowSeconds' | 'maxActiveRuns' | 'orchestrator' | 'nextFireAt'>> & {
  lastFireAt?: Date;
};

const COLUMNS: Record<keyof ScheduleChanges, string> = {
  scheduleType: 'schedule_type',
  cronExpression: 'cron_expression',
  timezone: 'timezone',
  paused: 'paused',
  overlapPolicy: 'overlap_policy',
  missedRunPolicy: 'missed_run_policy',
  missedRunWindowSeconds: 'missed_run_window_seconds',
  maxActiveRuns: 'max_active_runs',
  orchestrator: 'orchestrator',
  nextFireAt: 'next_fire_at',
  lastFireAt: 'last_fire_at',
};

/** The SQL of schedules; every statement carries the organisation. */
export class ScheduleStore {
  constructor(private readonly db: Database) {}

  async create(input: NewSchedule, now: Date): Promise<ScheduleView> {
    try {
      const { rows } = await this.db.query<ScheduleRow>(
        `INSERT INTO schedules (id, org_id, connection_id, dag_id, schedule_type, cron_expression, timezone, paused, overlap_policy,
                                missed_run_policy, missed_run_window_seconds, max_active_runs, orchestrator, last_fire_at, next_fire_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         RETURNING *`,
        [
          `sch_${randomBytes(8).toString('hex')}`,
          input.orgId,
          input.connectionId,
          input.dagId,
          input.scheduleType,
          input.cronExpression,
          input.timezone,
          input.paused,
          input.overlapPolicy,
          input.missedRunPolicy,
          input.missedRunWindowSeconds,
          input.maxActiveRuns,
          input.orchestrator,
          now,
          input.nextFireAt,
          input.createdBy,
        ],
      );
      return scheduleView(rows[0]!);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw conflict(`connection ${input.connectionId} already has a schedule; change it with PATCH /api/scheduler/:id`, { connectionId: input.connectionId });
      }
      throw error;
    }
  }

  async get(orgId: string, id: string): Promise<ScheduleView> {
    const { rows } = await this.db.query<ScheduleRow>('SELECT * FROM schedules WHERE org_id = $1 AND id = $2 AND table_name IS NULL', [orgId, id]);
    if (!rows[0]) throw notFound('Schedule', id);
    return scheduleView(rows[0]);
  }

  /** A table's schedule of `dagId` (a table's forecast), as its row: it belongs to no connection. */
  async findTableSchedule(orgId: string, dagId: string, table: string): Promise<ScheduleRow | undefined> {
    const { rows } = await this.db.query<ScheduleRow>('SELECT * FROM schedules WHERE org_id = $1 AND dag_id = $2 AND table_name = $3', [orgId, dagId, table]);
    return rows[0];
  }

  /**
   * Creates or changes a table's schedule of `dagId`: runs carry `conf`.
   * Fired by the builtin scheduler (an overlapping fire time queues behind
   * the running one). A changed CRON or time zone starts counting from `now`.
   */
  async saveTableSchedule(
    input: { orgId: string; dagId: string; table: string; cronExpression: string; timezone: string; conf: Record<string, unknown>; nextFireAt: Date | null; createdBy: string | null },
    now: Date,
  ): Promise<ScheduleRow> {
    const { rows } = await this.db.query<ScheduleRow>(
      `INSERT INTO schedules (id, org_id, connection_id, table_name, conf, dag_id, schedule_type, cron_expression, timezone, paused, overlap_policy,
                              missed_run_policy, missed_run_window_seconds, max_active_runs, orchestrator, last_fire_at, next_fire_at, created_by)
       VALUES ($1, $2, NULL, $3, $4::jsonb, $5, 'custom', $6, $7, false, 'queue', 'latest', 86400, 1, 'builtin', $8, $9, $10)
       ON CONFLICT (org_id, dag_id, table_name) WHERE table_name IS NOT NULL DO UPDATE SET
         conf = EXCLUDED.conf,
         cron_expression = EXCLUDED.cron_expression,
         timezone = EXCLUDED.timezone,
         last_fire_at = CASE WHEN schedules.cron_expression = EXCLUDED.cron_expression AND schedules.timezone = EXCLUDED.timezone THEN schedules.last_fire_at ELSE EXCLUDED.last_fire_at END,
         next_fire_at = CASE WHEN schedules.cron_expression = EXCLUDED.cron_expression AND schedules.timezone = EXCLUDED.timezone THEN schedules.next_fire_at ELSE EXCLUDED.next_fire_at END,
         paused = false,
         updated_at = now()
       RETURNING *`,
      [`sch_${randomBytes(8).toString('hex')}`, input.orgId, input.table, JSON.stringify(input.conf), input.dagId, input.cronExpression, input.timezone, now, input.nextFireAt, input.createdBy],
    );
    return rows[0]!;
  }

  async deleteTableSchedule(orgId: string, dagId: string, table: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM schedules WHERE org_id = $1 AND dag_id = $2 AND table_name = $3', [orgId, dagId, table]);
    return rowCount > 0;
  }

  async findByConnection(orgId: string, connectionId: string): Promise<ScheduleView | undefined> {
    const { rows } = await this.db.query<ScheduleRow>('SELECT * FROM schedules WHERE org_id = $1 AND connection_id = $2', [orgId, connectionId]);
    return rows[0] ? scheduleView(rows[0]) : undefined;
  }

  async list(orgId: string): Promise<ScheduleView[]> {
    // Connections' schedules: a table's (its forecast's) is shown with the table's settings.
    const { rows } = await this.db.query<ScheduleRow>('SELECT * FROM schedules WHERE org_id = $1 AND table_name IS NULL ORDER BY created_at, id', [orgId]);
    return rows.map(scheduleView);
  }

  /** Every schedule of every organisation, for writing all DAG files (`sluice airflow sync`); never reached by a tenant. */
  async listAll(): Promise<ScheduleView[]> {
    const { rows } = await this.db.query<ScheduleRow>('SELECT * FROM schedules WHERE table_name IS NULL ORDER BY org_id, created_at, id');
    return rows.map(scheduleView);
  }

  async update(orgId: string, id: string, changes: ScheduleChanges, tx?: Queryable): Promise<ScheduleView> {
    const sets: string[] = [];
    const params: unknown[] = [orgId, id];
    for (const [key, value] of Object.entries(changes) as [keyof ScheduleChanges, unknown][]) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${COLUMNS[key]} = $${params.length}`);
    }
    sets.push('updated_at = now()');
    const { rows } = await (tx ?? this.db).query<ScheduleRow>(`UPDATE schedules SET ${sets.join(', ')} WHERE org_id = $1 AND id = $2 AND table_name IS NULL RETURNING *`, params);
    if (!rows[0]) throw notFound('Schedule', id);
    return scheduleView(rows[0]);
  }

  async delete(orgId: string, id: string): Promise<ScheduleView> {
    const { rows } = await this.db.query<ScheduleRow>('DELETE FROM schedules WHERE org_id = $1 AND id = $2 AND table_name IS NULL RETURNING *', [orgId, id]);
    if (!rows[0]) throw notFound('Schedule', id);
    return scheduleView(rows[0]);
  }

  /**
   * Schedules due at `now` that no other scheduler is handling, locked for
   * the caller's transaction (SKIP LOCKED: two schedulers split the work
   * instead of queueing on each other). `orchestrators`: whose schedules
   * (the builtin engine's own, and those handed over to it).
   */
  async lockDue(tx: Queryable, now: Date, limit: number, orchestrators: readonly string[] = ['builtin']): Promise<ScheduleRow[]> {
    const { rows } = await tx.query<ScheduleRow>(
      `SELECT * FROM schedules
        WHERE NOT paused AND orchestrator = ANY($3::text[]) AND next_fire_at <= $1
        ORDER BY next_fire_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED`,
      [now, limit, orchestrators],
    );
    return rows;
  }
}
