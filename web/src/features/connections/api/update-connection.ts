import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import { connectionQuery } from './get-connection';
import type { paths } from '../../../api/schema';

/** What `PATCH /api/connections/:id` takes; a secret sent back as `********` keeps its stored value. */
export type ConnectionPatch = paths['/api/connections/{id}']['patch']['requestBody']['content']['application/json'];

export const updateConnection = ({ id, patch }: { id: string; patch: ConnectionPatch }) =>
  unwrap(api.PATCH('/api/connections/{id}', { params: { path: { id } }, body: patch }));

/** Changes a saved connection; its page and the list refresh afterwards. */
export function useUpdateConnection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateConnection,
    onSuccess: (saved) => {
      // The answer is the saved configuration; the latest run the page shows stays what it was.
      queryClient.setQueryData(connectionQuery(saved.id).queryKey, (old) => ({ ...saved, latestRun: old?.latestRun ?? null }));
      return queryClient.invalidateQueries({ queryKey: ['connections', 'list'] });
    },
  });
}
