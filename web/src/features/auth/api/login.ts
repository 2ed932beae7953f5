import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import { session } from '../../../lib/session';
import type { paths } from '../../../api/schema';

export type LoginInput = paths['/api/auth/login']['post']['requestBody']['content']['application/json'];

export const login = (input: LoginInput) => unwrap(api.POST('/api/auth/login', { body: input }));

/** Signs in: keeps the token for this browser and forgets whatever the last user's queries held. */
export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: login,
    onSuccess: (answer) => {
      queryClient.clear();
      session.set(answer.token);
    },
  });
}
