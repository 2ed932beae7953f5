import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type AuditFilter = NonNullable<paths['/api/audit']['get']['parameters']['query']>;
export type AuditEvent = paths['/api/audit']['get']['responses'][200]['content']['application/json']['events'][number];

export const auditQuery = (filter: AuditFilter) =>
  queryOptions({
    queryKey: ['audit', filter],
    queryFn: () => unwrap(api.GET('/api/audit', { params: { query: filter } })),
    // A new page or filter keeps the last table on screen until its answer comes.
    placeholderData: keepPreviousData,
  });

/** The organisation's audit trail, newest first, by action (or prefix ending in a dot), page by page (`before` an id). */
export const useAudit = (filter: AuditFilter) => useQuery(auditQuery(filter));
