import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const connectionQuery = (id: string) =>
  queryOptions({
    queryKey: ['connections', 'detail', id],
    queryFn: () => unwrap(api.GET('/api/connections/{id}', { params: { path: { id } } })),
  });

/** One saved connection, secrets masked. */
export const useConnection = (id: string) => useQuery(connectionQuery(id));
