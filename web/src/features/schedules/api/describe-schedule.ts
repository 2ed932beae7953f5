import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type ScheduleTiming = NonNullable<paths['/api/scheduler/describe']['get']['parameters']['query']>;
export type ScheduleDescription = paths['/api/scheduler/describe']['get']['responses'][200]['content']['application/json'];

export const describeScheduleQuery = (timing: ScheduleTiming) =>
  queryOptions({
    queryKey: ['schedules', 'describe', timing],
    queryFn: () => unwrap(api.GET('/api/scheduler/describe', { params: { query: timing } })),
    // The last good description stays while the next one is asked (typing moves through invalid expressions).
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });

/** What a schedule's timing would be, described by the server without saving it; off while `enabled` is false. */
export const useScheduleDescription = (timing: ScheduleTiming, enabled: boolean) => useQuery({ ...describeScheduleQuery(timing), enabled });
