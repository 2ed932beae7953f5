import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

/** The same query as the connections list (one cache entry): schedules show their connection's name. */
export const connectionNamesQuery = () => queryOptions({ queryKey: ['connections', 'list'], queryFn: () => unwrap(api.GET('/api/connections')) });

/** Connection names by id; empty until known. */
export function useConnectionNames(): Map<string, string> {
  const { data } = useQuery(connectionNamesQuery());
  return new Map((data?.connections ?? []).map((c) => [c.id, c.name]));
}
