import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type RejectedRow = paths['/api/tables/{table}/rejected']['get']['responses'][200]['content']['application/json']['rows'][number];

export const rejectedRowsQuery = (table: string, page: { limit: number; offset: number }) =>
  queryOptions({
    queryKey: ['tables', table, 'rejected', page],
    queryFn: () => unwrap(api.GET('/api/tables/{table}/rejected', { params: { path: { table }, query: page } })),
    placeholderData: keepPreviousData,
  });

/** One page of the rows a table refused, each with its reason. */
export const useRejectedRows = (table: string, page: { limit: number; offset: number }) => useQuery(rejectedRowsQuery(table, page));
