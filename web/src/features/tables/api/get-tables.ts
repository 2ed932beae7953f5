import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type TableInfo = paths['/api/tables']['get']['responses'][200]['content']['application/json']['tables'][number];

export const tablesQuery = () => queryOptions({ queryKey: ['tables'], queryFn: () => unwrap(api.GET('/api/tables')) });

/** The organisation's tables with their columns, row and rejected counts. */
export const useTables = () => useQuery(tablesQuery());
