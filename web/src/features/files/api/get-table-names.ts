import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

/** The same query as the tables list (one cache entry): an upload links to its table only when the table exists. */
export const tableNamesQuery = () => queryOptions({ queryKey: ['tables'], queryFn: () => unwrap(api.GET('/api/tables')) });

/** The names of the organisation's tables; undefined until known. */
export function useTableNames(): Set<string> | undefined {
  const { data } = useQuery(tableNamesQuery());
  return data ? new Set(data.tables.map((t) => t.name)) : undefined;
}
