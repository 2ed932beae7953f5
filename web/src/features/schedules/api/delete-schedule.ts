import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const deleteSchedule = (id: string) => unwrap(api.DELETE('/api/scheduler/{id}', { params: { path: { id } } }));

/** Deletes a schedule (its runs stay). */
export function useDeleteSchedule() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: deleteSchedule, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['schedules'] }) });
}
