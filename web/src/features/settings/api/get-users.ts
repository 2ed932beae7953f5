import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type User = paths['/api/users']['get']['responses'][200]['content']['application/json']['users'][number];

export const usersQuery = () => queryOptions({ queryKey: ['users', 'list'], queryFn: () => unwrap(api.GET('/api/users')) });

/** The organisation's users (every member may read them). */
export const useUsers = () => useQuery(usersQuery());
