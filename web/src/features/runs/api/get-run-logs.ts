import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

type LogAnswer = paths['/api/runs/{id}/logs']['get']['responses'][200]['content']['application/json'];
export type LogLine = LogAnswer['logs'][number];
/** A run's log as the panel holds it: every line read so far, and whether no more will come. */
export interface RunLog {
  logs: LogLine[];
  complete: boolean;
}

/** Lines per request. */
const PAGE = 1000;

/**
 * The lines after `afterId`, page by page. Complete when the API said so of
 * the first page: the run had ended before any of them was read.
 */
async function readLog(id: string, taskId: string | undefined, afterId: number, signal: AbortSignal): Promise<RunLog> {
  let logs: LogLine[] = [];
  let complete: boolean | undefined;
  for (let after = afterId; ; ) {
    const page = await unwrap(api.GET('/api/runs/{id}/logs', { params: { path: { id }, query: { afterId: after, limit: PAGE, ...(taskId ? { taskId } : {}) } }, signal }));
    logs = logs.concat(page.logs);
    complete ??= page.complete;
    if (page.logs.length < PAGE) return { logs, complete };
    after = page.logs.at(-1)!.id;
  }
}

export const runLogsQuery = (id: string, taskId: string | undefined) =>
  queryOptions({
    queryKey: ['runs', 'detail', id, 'logs', taskId ?? null],
    queryFn: async ({ client, queryKey, signal }): Promise<RunLog> => {
      const previous = client.getQueryData<RunLog>(queryKey);
      if (previous && !previous.complete) {
        // While the run goes on: only the lines after the last one seen.
        const more = await readLog(id, taskId, previous.logs.at(-1)?.id ?? 0, signal);
        if (!more.complete) return { logs: previous.logs.concat(more.logs), complete: false };
      }
      // The first read, and the last one once the run has ended: the whole log from its first line, so that a
      // line stored out of id order while the run went on is not missed.
      return readLog(id, taskId, 0, signal);
    },
    // Followed until the API says the log is complete: a run that has just ended may still have lines
    // the last poll did not see, so seeing the run end is not the moment to stop.
    refetchInterval: (query) => (query.state.data?.complete ? false : 1500),
  });

/** A run's log lines, of one task or of all; kept current until the log of the ended run is complete. */
export const useRunLogs = (id: string, taskId: string | undefined) => useQuery(runLogsQuery(id, taskId));
