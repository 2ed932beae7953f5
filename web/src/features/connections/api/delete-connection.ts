import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const deleteConnection = (id: string) => unwrap(api.DELETE('/api/connections/{id}', { params: { path: { id } } }));

/** Deletes a connection (its tables and runs stay). */
export function useDeleteConnection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteConnection,
    onSuccess: (_answer, id) => {
      queryClient.removeQueries({ queryKey: ['connections', 'detail', id] });
      return queryClient.invalidateQueries({ queryKey: ['connections', 'list'] });
    },
  });
}
