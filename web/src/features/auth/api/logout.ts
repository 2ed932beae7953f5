import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { session } from '../../../lib/session';

/** Revokes this browser's token on the server (best effort) and forgets it here. */
export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      await api.POST('/api/auth/logout').catch(() => undefined);
    },
    onSettled: () => {
      session.clear();
      queryClient.clear();
    },
  });
}
