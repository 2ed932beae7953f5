import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type SchedulePatch = paths['/api/scheduler/{id}']['patch']['requestBody']['content']['application/json'];

export const updateSchedule = ({ id, patch }: { id: string; patch: SchedulePatch }) =>
  unwrap(api.PATCH('/api/scheduler/{id}', { params: { path: { id } }, body: patch }));

/** Pauses, resumes or changes a schedule. */
export function useUpdateSchedule() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: updateSchedule, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['schedules'] }) });
}
