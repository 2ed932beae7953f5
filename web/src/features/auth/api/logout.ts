import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { session } from '../../../lib/session';

/**
 * Forgets this browser's token, then revokes it on the server (best effort).
 * In that order: revoking first left a moment in which a query still polling
 * (a run, a table) went out with the revoked token and came back 401.
 */
export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const token = session.token();
      await queryClient.cancelQueries();
      session.clear();
      queryClient.clear();
      if (token) await api.POST('/api/auth/logout', { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    },
  });
}
