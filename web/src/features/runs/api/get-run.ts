import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type RunDetail = paths['/api/runs/{id}']['get']['responses'][200]['content']['application/json'];

export const isActive = (state: string | undefined) => state === 'queued' || state === 'running';

export const runQuery = (id: string) =>
  queryOptions({
    queryKey: ['runs', 'detail', id],
    queryFn: () => unwrap(api.GET('/api/runs/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (isActive(query.state.data?.state) ? 1000 : false),
  });

/** One run with its tasks; polled every second while it is queued or running. */
export const useRun = (id: string) => useQuery(runQuery(id));
