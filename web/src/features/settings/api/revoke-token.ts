import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const revokeToken = (id: string) => unwrap(api.DELETE('/api/tokens/{id}', { params: { path: { id } } }));

/** Revokes a token at once; scripts using it get 401 from then on. */
export function useRevokeToken() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: revokeToken, onSettled: () => queryClient.invalidateQueries({ queryKey: ['tokens'] }) });
}
