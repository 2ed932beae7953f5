import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const deleteNotification = (id: string) => unwrap(api.DELETE('/api/notifications/{id}', { params: { path: { id } } }));

/** Removes a notification target. */
export function useDeleteNotification() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: deleteNotification, onSettled: () => queryClient.invalidateQueries({ queryKey: ['notifications'] }) });
}
