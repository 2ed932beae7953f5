import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import { connectionQuery } from './get-connection';
import type { paths } from '../../../api/schema';

/** What `POST /api/connections` takes: the whole configuration (CONTRACT.md, Connections). */
export type ConnectionInput = paths['/api/connections']['post']['requestBody']['content']['application/json'];

export const createConnection = (body: ConnectionInput) => unwrap(api.POST('/api/connections', { body }));

/** Saves a new connection; the list refreshes afterwards. */
export function useCreateConnection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createConnection,
    onSuccess: (saved) => {
      // The answer is the saved configuration; the latest run the page shows stays what it was.
      queryClient.setQueryData(connectionQuery(saved.id).queryKey, (old) => ({ ...saved, latestRun: old?.latestRun ?? null }));
      return queryClient.invalidateQueries({ queryKey: ['connections', 'list'] });
    },
  });
}
