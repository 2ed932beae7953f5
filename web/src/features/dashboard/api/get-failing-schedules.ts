import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

type Schedule = paths['/api/scheduler']['get']['responses'][200]['content']['application/json']['schedules'][number];
type Run = paths['/api/runs']['get']['responses'][200]['content']['application/json']['runs'][number];

/** A schedule whose connection's latest run failed, with that run. */
export type FailingSchedule = { schedule: Schedule; run: Run };

/** The schedules, then the latest run of each scheduled connection (one small request each); those that failed. */
async function getFailingSchedules(): Promise<FailingSchedule[]> {
  const { schedules } = await unwrap(api.GET('/api/scheduler'));
  const connectionIds = [...new Set(schedules.map((s) => s.connectionId))];
  const latest = new Map(
    await Promise.all(
      connectionIds.map(async (connectionId) => {
        const { runs } = await unwrap(api.GET('/api/runs', { params: { query: { connectionId, limit: 1 } } }));
        return [connectionId, runs[0]] as const;
      }),
    ),
  );
  return schedules.flatMap((schedule) => {
    const run = latest.get(schedule.connectionId);
    return run?.state === 'failed' ? [{ schedule, run }] : [];
  });
}

export const failingSchedulesQuery = () =>
  queryOptions({ queryKey: ['schedules', 'failing'], queryFn: getFailingSchedules, refetchInterval: 15_000 });

/** The organisation's schedules whose connection's latest run failed. */
export const useFailingSchedules = () => useQuery(failingSchedulesQuery());
