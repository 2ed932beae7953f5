import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

/** A saved connection as the API answers it: secrets come back as `********`. */
export type Connection = paths['/api/connections']['post']['responses'][201]['content']['application/json'];
/** A connection in the list (and on its page): with its latest run, whatever that run's state. */
export type ListedConnection = paths['/api/connections']['get']['responses'][200]['content']['application/json']['connections'][number];
export type LatestRun = ListedConnection['latestRun'];

export const connectionsQuery = () =>
  queryOptions({
    queryKey: ['connections', 'list'],
    queryFn: () => unwrap(api.GET('/api/connections')),
    // While a connection's latest run is on its way, the list follows it to its end.
    refetchInterval: (query) => (query.state.data?.connections.some((c) => c.latestRun?.state === 'queued' || c.latestRun?.state === 'running') ? 3000 : false),
  });

/** The organisation's connections. */
export const useConnections = () => useQuery(connectionsQuery());
