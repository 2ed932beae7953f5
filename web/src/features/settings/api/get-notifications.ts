import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type NotificationTarget = paths['/api/notifications']['get']['responses'][200]['content']['application/json']['targets'][number];

export const notificationsQuery = () =>
  queryOptions({ queryKey: ['notifications', 'list'], queryFn: () => unwrap(api.GET('/api/notifications')) });

/** Where run outcomes are sent (webhooks, e-mail), never the webhooks' signing secrets. */
export const useNotifications = () => useQuery(notificationsQuery());
