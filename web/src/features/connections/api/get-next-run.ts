import { queryOptions, useMutation, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

/** What the next run will send: its first request, rendered with the fire time, last_run_at and the cursor; secrets masked. */
export type NextRun = paths['/api/connections/{id}/next-run']['get']['responses'][200]['content']['application/json'];

export const nextRunQuery = (id: string) =>
  queryOptions({
    queryKey: ['connections', 'next-run', id],
    queryFn: () => unwrap(api.GET('/api/connections/{id}/next-run', { params: { path: { id } } })),
    // The fire time passes and the schedule or the connection may change beside it: look again now and then.
    refetchInterval: 30_000,
  });

export const useNextRun = (id: string) => useQuery(nextRunQuery(id));

/** The next run done without writing: records read, rows it would insert or update, a sample. */
export type DryRun = paths['/api/connections/{id}/next-run/dry-run']['post']['responses'][200]['content']['application/json'];

export const dryRunNextRun = (id: string): Promise<DryRun> => unwrap(api.POST('/api/connections/{id}/next-run/dry-run', { params: { path: { id } } }));

export const useDryRun = () => useMutation({ mutationFn: dryRunNextRun });
