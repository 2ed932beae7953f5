import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type CreateTokenInput = paths['/api/tokens']['post']['requestBody']['content']['application/json'];
export type CreatedToken = paths['/api/tokens']['post']['responses'][201]['content']['application/json'];

export const createToken = (input: CreateTokenInput) => unwrap(api.POST('/api/tokens', { body: input }));

/** Creates an API token; its secret is in this answer only, so the caller shows it once and drops it. */
export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createToken, onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tokens'] }) });
}
