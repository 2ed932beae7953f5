import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';

export const airflowRunLinksQuery = () =>
  queryOptions({
    queryKey: ['runs', { limit: 20 }, 'externalUrl'],
    queryFn: async () => (await unwrap(api.GET('/api/runs', { params: { query: { limit: 20 } } }))).runs.flatMap((r) => (r.externalUrl ? [r.externalUrl] : [])),
  });

/** Links of recent runs into Airflow's UI (where its address can be read from), asked only when Airflow runs them. */
export const useAirflowRunLinks = (enabled: boolean) => useQuery({ ...airflowRunLinksQuery(), enabled });
