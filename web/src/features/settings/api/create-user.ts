import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type CreateUserInput = paths['/api/users']['post']['requestBody']['content']['application/json'];

export const createUser = (input: CreateUserInput) => unwrap(api.POST('/api/users', { body: input }));

/** Adds a user with a role (admins only); the user list refreshes. */
export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createUser, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }) });
}
