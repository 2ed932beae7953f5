import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const auditUsersQuery = () =>
  queryOptions({ queryKey: ['users', 'list'], queryFn: () => unwrap(api.GET('/api/users')), staleTime: 60_000 });

/** The organisation's users, to name an event's actor by e-mail rather than by id. */
export const useAuditUsers = () => useQuery(auditUsersQuery());
