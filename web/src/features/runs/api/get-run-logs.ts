import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

/** Lines a page of the log panel holds (the API's most). */
export const LOG_LINES = 5000;

export const runLogsQuery = (id: string, taskId: string | undefined) =>
  queryOptions({
    queryKey: ['runs', 'detail', id, 'logs', taskId ?? null],
    queryFn: () => unwrap(api.GET('/api/runs/{id}/logs', { params: { path: { id }, query: { limit: LOG_LINES, ...(taskId ? { taskId } : {}) } } })),
    // Followed until the API says the log is complete: a run that has just ended may still have lines
    // the last poll did not see, so seeing the run end is not the moment to stop.
    refetchInterval: (query) => (query.state.data?.complete ? false : 1500),
  });

/** A run's log lines, of one task or of all; kept current until the log of the ended run is complete. */
export const useRunLogs = (id: string, taskId: string | undefined) => useQuery(runLogsQuery(id, taskId));
