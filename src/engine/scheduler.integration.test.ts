import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { silentLogger } from '../logger.js';
import type { PipelineDefinition, PipelineRegistry } from './model.js';
import { RunStore } from './run-store.js';
import { ScheduleStore } from './schedule-store.js';
import { Scheduler, type ScheduleFiredEvent, type ScheduleHandover } from './scheduler.js';
import type { MissedRunPolicy, OverlapPolicy } from './schedule/index.js';

/**
 * The scheduler after downtime and under overlap, on a real database, with
 * the clock injected: Sluice was down from 09:00 to 12:30 (UTC) for an
 * hourly schedule last handled at 08:00.
 */
const pipeline: PipelineDefinition = {
  name: 'sched_test',
  description: 'one task',
  tasks: [{ id: 'only', upstream: [], timeoutMs: 1000, run: async () => undefined }],
};
const registry: PipelineRegistry = { get: () => pipeline, resolve: () => ({ pipeline, connectionId: null }) };
const at = (hhmm: string) => new Date(`2026-11-21T${hhmm}:00Z`);

describeEachDatabase('scheduler', (fixture) => {
  let n = 0;
  const schedule = async (policy: MissedRunPolicy, overlap: OverlapPolicy = 'queue', windowSeconds = 86_400, orchestrator: 'builtin' | 'airflow' = 'builtin') => {
    n += 1;
    const connectionId = `sched-conn-${n}`;
    await fixture.db.query("INSERT INTO connections (id, org_id, name, config) VALUES ($1, 'sched-org', 'c', '{}')", [connectionId]);
    return new ScheduleStore(fixture.db).create(
      {
        orgId: 'sched-org',
        connectionId,
        dagId: `sched_test_${n}`,
        scheduleType: 'hourly',
        cronExpression: '0 * * * *',
        timezone: 'UTC',
        paused: false,
        overlapPolicy: overlap,
        missedRunPolicy: policy,
        missedRunWindowSeconds: windowSeconds,
        maxActiveRuns: 1,
        orchestrator,
        nextFireAt: at('09:00'),
        createdBy: null,
      },
      at('08:00'),
    );
  };
  const tickAt = (now: Date, handovers: ScheduleHandover[] = [], fired: ScheduleFiredEvent[] = []) => {
    const scheduler = new Scheduler({ db: fixture.db, runs: new RunStore(fixture.db), schedules: new ScheduleStore(fixture.db), registry, logger: silentLogger(), now: () => now, handovers: () => handovers });
    scheduler.on('fired', (e: ScheduleFiredEvent) => fired.push(e));
    return scheduler.tick();
  };
  const fireTimes = async (scheduleId: string) =>
    (await fixture.db.query<{ fire_at: Date }>('SELECT fire_at FROM runs WHERE schedule_id = $1 ORDER BY fire_at', [scheduleId])).rows.map((r) => r.fire_at.toISOString().slice(11, 16));

  beforeAll(async () => {
    await fixture.db.query("INSERT INTO orgs (id, name) VALUES ('sched-org', 'o') ON CONFLICT DO NOTHING");
  });

  it('after downtime runs every missed time with "all", only the latest with "latest", none with "none"', async () => {
    const all = await schedule('all');
    const latest = await schedule('latest');
    const none = await schedule('none');
    await tickAt(at('12:30'));
    expect(await fireTimes(all.scheduleId)).toEqual(['09:00', '10:00', '11:00', '12:00']);
    expect(await fireTimes(latest.scheduleId)).toEqual(['12:00']);
    expect(await fireTimes(none.scheduleId)).toEqual([]);
    // Back in time: the next fire time is 13:00 for all three, and nothing fires twice.
    await tickAt(at('12:31'));
    expect(await fireTimes(all.scheduleId)).toHaveLength(4);
    const next = await fixture.db.query<{ next_fire_at: Date }>('SELECT DISTINCT next_fire_at FROM schedules WHERE id = ANY($1)', [[all.scheduleId, latest.scheduleId, none.scheduleId]]);
    expect(next.rows.map((r) => r.next_fire_at.toISOString())).toEqual(['2026-11-21T13:00:00.000Z']);
    await tickAt(at('13:00'));
    expect(await fireTimes(none.scheduleId)).toEqual(['13:00']);
  });

  it('keeps "all" within its window', async () => {
    const windowed = await schedule('all', 'queue', 2 * 3600);
    await tickAt(at('12:30'));
    expect(await fireTimes(windowed.scheduleId)).toEqual(['11:00', '12:00']);
  });

  it('skips a fire time while the previous run is still active with overlap "skip", and queues it with "queue"', async () => {
    const skip = await schedule('all', 'skip');
    const queue = await schedule('all', 'queue');
    await tickAt(at('09:00'));
    // No worker runs here: the 09:00 runs stay queued, so at 10:00 the previous run is still active.
    await tickAt(at('10:00'));
    expect(await fireTimes(skip.scheduleId)).toEqual(['09:00']);
    expect(await fireTimes(queue.scheduleId)).toEqual(['09:00', '10:00']);
  });

  describe('schedules of another orchestrator (Airflow) handed over while it is down', () => {
    const airflowDown: ScheduleHandover = { orchestrator: 'airflow', since: at('10:30'), note: 'Airflow has been unreachable since 10:30' };
    const runsOf = async (scheduleId: string) =>
      (await fixture.db.query<{ fire_at: Date; orchestrator: string; error: string | null; conf: Record<string, unknown> }>('SELECT fire_at, orchestrator, error, conf FROM runs WHERE schedule_id = $1 ORDER BY fire_at', [scheduleId])).rows;

    it('leaves them alone while their orchestrator fires them', async () => {
      const owned = await schedule('all', 'queue', 86_400, 'airflow');
      expect(await tickAt(at('12:30'))).toBeGreaterThanOrEqual(0);
      expect(await fireTimes(owned.scheduleId)).toEqual([]);
    });

    it('fires only the times after the hand-over began, once, on the builtin engine, noting why', async () => {
      const all = await schedule('all', 'queue', 86_400, 'airflow');
      const latest = await schedule('latest', 'queue', 86_400, 'airflow');
      const fired: ScheduleFiredEvent[] = [];
      await tickAt(at('12:30'), [airflowDown], fired);
      expect(await fireTimes(all.scheduleId)).toEqual(['11:00', '12:00']);
      expect(await fireTimes(latest.scheduleId)).toEqual(['12:00']);
      for (const run of await runsOf(all.scheduleId)) {
        expect(run).toMatchObject({ orchestrator: 'builtin', error: airflowDown.note, conf: { fallback_from: 'airflow' } });
      }
      expect(fired.filter((e) => e.scheduleId === all.scheduleId).map((e) => [e.fireAt.toISOString().slice(11, 16), e.handedOverBy])).toEqual([
        ['11:00', 'airflow'],
        ['12:00', 'airflow'],
      ]);
      // Another scheduler (another process) handing over the same times creates nothing more.
      await tickAt(at('12:45'), [{ ...airflowDown, since: at('09:30') }]);
      expect(await fireTimes(all.scheduleId)).toEqual(['11:00', '12:00']);
    });

    it('does not run a fire time that Airflow already ran, and is not held back by a run Airflow left behind', async () => {
      const owned = await schedule('latest', 'skip', 86_400, 'airflow');
      const runs = new RunStore(fixture.db);
      // Airflow ran 13:00 (its task called Sluice back, recording the fire time), and an older run of its is stuck "running".
      await runs.createRun({ orgId: 'sched-org', dagId: owned.dagId, pipeline, scheduleId: owned.scheduleId, fireAt: at('13:00'), trigger: 'airflow', orchestrator: 'airflow', runId: `af-13-${owned.scheduleId}` });
      await runs.createRun({ orgId: 'sched-org', dagId: owned.dagId, pipeline, trigger: 'airflow', orchestrator: 'airflow', runId: `af-stuck-${owned.scheduleId}` });
      await tickAt(at('13:10'), [airflowDown]);
      expect((await runsOf(owned.scheduleId)).map((r) => [r.fire_at.toISOString().slice(11, 16), r.orchestrator])).toEqual([['13:00', 'airflow']]);
      await tickAt(at('14:00'), [airflowDown]);
      expect((await runsOf(owned.scheduleId)).map((r) => [r.fire_at.toISOString().slice(11, 16), r.orchestrator])).toEqual([
        ['13:00', 'airflow'],
        ['14:00', 'builtin'],
      ]);
    });
  });
});
