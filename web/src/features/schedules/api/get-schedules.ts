import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

/** A schedule as the API answers it: CRON, timezone, its plain-language description and next five fire times. */
export type Schedule = paths['/api/scheduler']['get']['responses'][200]['content']['application/json']['schedules'][number];

export const schedulesQuery = () => queryOptions({ queryKey: ['schedules', 'list'], queryFn: () => unwrap(api.GET('/api/scheduler')) });

/** The organisation's schedules. */
export const useSchedules = () => useQuery(schedulesQuery());
