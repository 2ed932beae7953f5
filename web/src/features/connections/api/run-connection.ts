import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

/** Starts a run of the connection's pipeline now; the answer names the queued run. */
export const runConnection = (connectionId: string) => unwrap(api.POST('/api/execute-run', { body: { connectionId } }));

export function useRunConnection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: runConnection,
    // The connection's latest run is now this one.
    onSuccess: () => Promise.all([queryClient.invalidateQueries({ queryKey: ['runs'] }), queryClient.invalidateQueries({ queryKey: ['connections'] })]),
  });
}
