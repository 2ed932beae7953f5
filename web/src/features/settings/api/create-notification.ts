import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type CreateNotificationInput = paths['/api/notifications']['post']['requestBody']['content']['application/json'];
export type CreatedNotification = paths['/api/notifications']['post']['responses'][201]['content']['application/json'];

export const createNotification = (input: CreateNotificationInput) => unwrap(api.POST('/api/notifications', { body: input }));

/** Adds a webhook or e-mail target; a webhook's signing secret is in this answer only. */
export function useCreateNotification() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createNotification, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['notifications'] }) });
}
