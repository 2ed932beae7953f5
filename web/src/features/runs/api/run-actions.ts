import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

/** Cancel or retry a run; the run and the lists refresh afterwards. */
export function useRunAction(id: string, action: 'cancel' | 'retry') {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      action === 'cancel'
        ? unwrap(api.POST('/api/runs/{id}/cancel', { params: { path: { id } } }))
        : unwrap(api.POST('/api/runs/{id}/retry', { params: { path: { id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['runs'] }),
  });
}
