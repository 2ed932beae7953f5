import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

/** A saved connection as the API answers it: secrets come back as `********`. */
export type Connection = paths['/api/connections']['get']['responses'][200]['content']['application/json']['connections'][number];

export const connectionsQuery = () =>
  queryOptions({ queryKey: ['connections', 'list'], queryFn: () => unwrap(api.GET('/api/connections')) });

/** The organisation's connections. */
export const useConnections = () => useQuery(connectionsQuery());
