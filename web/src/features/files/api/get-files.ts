import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const filesQuery = () =>
  queryOptions({
    queryKey: ['files', 'list'],
    queryFn: () => unwrap(api.GET('/api/files/', { params: { query: { limit: 50 } } })),
    // Uploads still on their way keep the list current.
    refetchInterval: (query) => (query.state.data?.files.some((f) => f.status === 'uploaded' || f.status === 'landed') ? 2000 : false),
  });

/** The organisation's uploaded files, newest first. */
export const useFiles = () => useQuery(filesQuery());
