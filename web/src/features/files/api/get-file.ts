import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type UploadedFile = paths['/api/files/{id}/']['get']['responses'][200]['content']['application/json'];

const settled = (file: UploadedFile | undefined) => file?.status === 'loaded' || file?.status === 'failed';

export const fileQuery = (id: string) =>
  queryOptions({
    queryKey: ['files', 'detail', id],
    queryFn: () => unwrap(api.GET('/api/files/{id}/', { params: { path: { id } } })),
    refetchInterval: (query) => (settled(query.state.data) ? false : 1000),
  });

/** One uploaded file: its status through ingest and load, its counts and runs; polled until loaded or failed. */
export const useFile = (id: string) => useQuery(fileQuery(id));
