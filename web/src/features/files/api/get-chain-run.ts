import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const chainRunQuery = (id: string) =>
  queryOptions({
    queryKey: ['runs', 'detail', id],
    queryFn: () => unwrap(api.GET('/api/runs/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (['success', 'failed', 'cancelled'].includes(query.state.data?.state ?? '') ? false : 1000),
  });

/** A run of the upload chain (ingest, then load), polled until it ends. */
export const useChainRun = (id: string | null | undefined) => useQuery({ ...chainRunQuery(id ?? ''), enabled: Boolean(id) });
