import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type RunsFilter = NonNullable<paths['/api/runs']['get']['parameters']['query']>;
export type Run = paths['/api/runs']['get']['responses'][200]['content']['application/json']['runs'][number];
export type RunState = Run['state'];

export const runsQuery = (filter: RunsFilter) =>
  queryOptions({
    queryKey: ['runs', filter],
    queryFn: () => unwrap(api.GET('/api/runs', { params: { query: filter } })),
    // A list with running runs in it keeps itself current.
    refetchInterval: (query) => (query.state.data?.runs.some((r) => r.state === 'queued' || r.state === 'running') ? 2000 : 10_000),
  });

/** The organisation's runs, newest first, filtered by state, DAG or connection. */
export const useRuns = (filter: RunsFilter) => useQuery(runsQuery(filter));
