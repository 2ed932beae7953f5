import type { Actor } from '../auth/index.js';
import type { ConnectionsService } from '../connections/index.js';
import { validationFailed } from '../errors/index.js';
import { describeCron, MISSED_RUN_DEFAULTS, nextFireTimes, resolveSchedule, ScheduleType, type Engine, type ScheduleView } from '../engine/index.js';
import type { Orchestrator } from '../orchestrators/index.js';
import { etlWorkflowDagId } from '../pipelines/index.js';
import type { Schedule, ScheduleBody, ScheduleDescription, SchedulePatch } from './runs.schema.js';
import { ensureConnection } from './workflow-config.js';

export const NEXT_RUNS = 5;

/**
 * Schedules: one CRON schedule per connection, firing its
 * `etl_workflow_<connectionId>` DAG. Kept in the database whatever the
 * orchestrator; the orchestrator is told of every change (Airflow writes,
 * pauses or removes the DAG file).
 */
export class SchedulesService {
  constructor(
    private readonly engine: Engine,
    private readonly orchestrator: Orchestrator,
    private readonly connections: ConnectionsService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * `POST /api/scheduler` with the first seed's payload. The seed's scripts
   * send it again for a connection that has its schedule already: that
   * changes the schedule to what the payload says (`created: false`) rather
   * than failing, as PATCH would.
   */
  async create(orgId: string, body: ScheduleBody, actor: Actor): Promise<{ schedule: Schedule; created: boolean }> {
    // The schedule is checked before a connection is created from workflowConfig: a bad CRON leaves nothing behind.
    const resolved = resolveSchedule({ scheduleType: body.scheduleType, cronExpression: body.cronExpression, timezone: body.timezone });
    const { connectionId } = await ensureConnection(this.connections, orgId, body, actor);
    const existing = await this.engine.schedules.findByConnection(orgId, connectionId);
    if (existing) {
      const { connectionId: _c, workflowConfig: _w, ...changes } = body;
      const patch = Object.fromEntries(Object.entries({ ...changes, scheduleType: resolved.scheduleType, cronExpression: resolved.cronExpression, timezone: resolved.timezone }).filter(([, v]) => v !== undefined));
      return { schedule: await this.update(orgId, existing.scheduleId, patch as SchedulePatch), created: false };
    }
    const now = this.now();
    const paused = body.paused ?? false;
    const view = await this.engine.schedules.create(
      {
        orgId,
        connectionId,
        dagId: etlWorkflowDagId(connectionId),
        scheduleType: resolved.scheduleType,
        cronExpression: resolved.cronExpression,
        timezone: resolved.timezone,
        paused,
        overlapPolicy: body.overlapPolicy ?? 'skip',
        missedRunPolicy: body.missedRunPolicy ?? 'latest',
        missedRunWindowSeconds: body.missedRunWindowSeconds ?? MISSED_RUN_DEFAULTS.windowMs / 1000,
        maxActiveRuns: body.maxActiveRuns ?? 1,
        orchestrator: this.orchestrator.kind,
        nextFireAt: nextFireTimes(resolved.cronExpression, resolved.timezone, now, 1)[0] ?? null,
        createdBy: `${actor.type}:${actor.id ?? ''}`,
      },
      now,
    );
    await this.orchestrator.scheduleSaved(view);
    return { schedule: await this.present(view), created: true };
  }

  async list(orgId: string): Promise<Schedule[]> {
    return this.presentAll(orgId, await this.engine.schedules.list(orgId));
  }

  async get(orgId: string, id: string): Promise<Schedule> {
    return this.present(await this.engine.schedules.get(orgId, id));
  }

  /**
   * `PATCH /api/scheduler/:id`. Resuming starts from now: fire times that
   * passed while paused are not caught up (like Airflow's catchup=False).
   */
  async update(orgId: string, id: string, patch: SchedulePatch): Promise<Schedule> {
    const current = await this.engine.schedules.get(orgId, id);
    const cronChanged = patch.cronExpression !== undefined || patch.timezone !== undefined || patch.scheduleType !== undefined;
    const resolved = cronChanged
      ? resolveSchedule({
          scheduleType: patch.scheduleType ?? (patch.cronExpression ? 'custom' : current.scheduleType),
          cronExpression: patch.cronExpression ?? (patch.scheduleType && patch.scheduleType !== 'custom' ? null : current.cronExpression),
          timezone: patch.timezone ?? current.timezone,
        })
      : current;
    if (Object.keys(patch).length === 0) throw validationFailed([{ field: '(body)', message: 'send at least one field to change' }], 'invalid_config');
    const now = this.now();
    const resuming = patch.paused === false && current.paused;
    const view = await this.engine.schedules.update(orgId, id, {
      scheduleType: resolved.scheduleType,
      cronExpression: resolved.cronExpression,
      timezone: resolved.timezone,
      paused: patch.paused,
      overlapPolicy: patch.overlapPolicy,
      missedRunPolicy: patch.missedRunPolicy,
      missedRunWindowSeconds: patch.missedRunWindowSeconds,
      maxActiveRuns: patch.maxActiveRuns,
      ...(cronChanged || resuming ? { nextFireAt: nextFireTimes(resolved.cronExpression, resolved.timezone, now, 1)[0] ?? null } : {}),
      ...(resuming || cronChanged ? { lastFireAt: now } : {}),
    });
    await this.orchestrator.scheduleSaved(view);
    return this.present(view);
  }

  async delete(orgId: string, id: string): Promise<Schedule> {
    const view = await this.engine.schedules.delete(orgId, id);
    await this.orchestrator.scheduleDeleted(view);
    return this.present(view);
  }

  /**
   * What a schedule would be, without saving it: the expression resolved as
   * `create` resolves it, its plain-language description and its next fire
   * times. The schedule editor asks while a person types; a bad expression
   * or time zone is the same 422 naming the field that saving would give.
   */
  describe(input: { scheduleType?: string | undefined; cronExpression?: string | undefined; timezone?: string | undefined }): ScheduleDescription {
    const resolved = resolveSchedule(input);
    return {
      ...resolved,
      description: describeCron(resolved.cronExpression),
      nextRuns: nextFireTimes(resolved.cronExpression, resolved.timezone, this.now(), NEXT_RUNS).map((d) => d.toISOString()),
    };
  }

  async present(view: ScheduleView): Promise<Schedule> {
    return (await this.presentAll(view.orgId, [view]))[0]!;
  }

  /** Schedules as the API answers them: `lastFireAt` is the fire time of the latest run a schedule made (null until it fires). */
  private async presentAll(orgId: string, views: readonly ScheduleView[]): Promise<Schedule[]> {
    const now = this.now();
    const fired = await this.engine.runs.lastFireTimes(orgId, views.map((v) => v.scheduleId));
    return views.map(({ handledUntil: _handled, ...view }) => ({
      ...view,
      scheduleType: ScheduleType.parse(view.scheduleType),
      description: describeCron(view.cronExpression),
      lastFireAt: fired.get(view.scheduleId) ?? null,
      nextRuns: nextFireTimes(view.cronExpression, view.timezone, now, NEXT_RUNS).map((d) => d.toISOString()),
    }));
  }
}
