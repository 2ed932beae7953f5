import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const tableRowsQuery = (table: string, page: { limit: number; offset: number }) =>
  queryOptions({
    queryKey: ['tables', table, 'rows', page],
    queryFn: () => unwrap(api.GET('/api/tables/{table}/rows', { params: { path: { table }, query: page } })),
    placeholderData: keepPreviousData,
  });

/** One page of a table's rows and the total. */
export const useTableRows = (table: string, page: { limit: number; offset: number }) => useQuery(tableRowsQuery(table, page));
