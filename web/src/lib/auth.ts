import { queryOptions, useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { api, unwrap } from './api-client';
import { session } from './session';
import type { paths } from '../api/schema';

export type Me = paths['/api/auth/me']['get']['responses'][200]['content']['application/json'];
export type Role = Me['role'];

export const meQuery = () => queryOptions({ queryKey: ['me'], queryFn: () => unwrap(api.GET('/api/auth/me')), staleTime: 60_000 });

/** The token of this browser, re-read when it is set or cleared. */
export const useToken = () => useSyncExternalStore(session.subscribe, session.token);

/** Who is signed in: user, org and role. */
export function useMe() {
  const token = useToken();
  return useQuery({ ...meQuery(), enabled: token !== null });
}

/** Whether the signed-in user may change things (upload, run, edit): editors and admins. */
export function useCanEdit(): boolean {
  const { data } = useMe();
  return data?.role === 'admin' || data?.role === 'editor';
}
