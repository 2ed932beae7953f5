import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, toApiError } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type Health = paths['/api/health']['get']['responses'][200]['content']['application/json'];

/** 503 (the database does not answer) still carries the health report: show it rather than fail. */
export async function getHealth(): Promise<Health> {
  const { data, error, response } = await api.GET('/api/health');
  if (data) return data;
  if (response.status === 503 && error) return error as Health;
  throw toApiError(response.status, error);
}

export const healthQuery = () => queryOptions({ queryKey: ['health'], queryFn: getHealth, refetchInterval: 30_000 });

/** The database and orchestrator (builtin or Airflow) as the server sees them now. */
export const useHealth = () => useQuery(healthQuery());
