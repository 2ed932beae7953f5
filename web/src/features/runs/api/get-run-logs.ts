import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const runLogsQuery = (id: string, taskId: string | undefined, live: boolean) =>
  queryOptions({
    queryKey: ['runs', 'detail', id, 'logs', taskId ?? null],
    queryFn: () => unwrap(api.GET('/api/runs/{id}/logs', { params: { path: { id }, query: taskId ? { taskId } : {} } })),
    refetchInterval: live ? 1500 : false,
  });

/** A run's log lines, of one task or of all; kept current while the run is live. */
export const useRunLogs = (id: string, taskId: string | undefined, live: boolean) => useQuery(runLogsQuery(id, taskId, live));
