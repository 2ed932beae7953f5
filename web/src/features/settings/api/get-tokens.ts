import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type TokenInfo = paths['/api/tokens']['get']['responses'][200]['content']['application/json']['tokens'][number];

export const tokensQuery = () => queryOptions({ queryKey: ['tokens', 'list'], queryFn: () => unwrap(api.GET('/api/tokens')) });

/** The organisation's active tokens, never their secrets (admins only). */
export const useTokens = (enabled = true) => useQuery({ ...tokensQuery(), enabled });
