import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type ScheduleInput = paths['/api/scheduler']['post']['requestBody']['content']['application/json'];

export const createSchedule = (body: ScheduleInput) => unwrap(api.POST('/api/scheduler', { body }));

/** Schedules a connection; the list refreshes afterwards. */
export function useCreateSchedule() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createSchedule, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['schedules'] }) });
}
