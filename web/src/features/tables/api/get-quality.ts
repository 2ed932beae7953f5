import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type QualityReport = paths['/api/tables/{table}/quality']['get']['responses'][200]['content']['application/json']['reports'][number];

export const qualityQuery = (table: string, days: number) =>
  queryOptions({
    queryKey: ['tables', table, 'quality', days],
    queryFn: () => unwrap(api.GET('/api/tables/{table}/quality', { params: { path: { table }, query: { days } } })),
    placeholderData: keepPreviousData,
  });

/** The quality reports of a table's loads (uploads and connection runs) of the last `days` days, newest first. */
export const useQuality = (table: string, days: number) => useQuery(qualityQuery(table, days));
