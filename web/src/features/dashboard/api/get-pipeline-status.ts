import { queryOptions, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type PipelineStatus = paths['/api/airflow/pipeline-status/']['get']['responses'][200]['content']['application/json'];
export type TableStatus = PipelineStatus['tables'][number];

export const pipelineStatusQuery = () =>
  queryOptions({ queryKey: ['pipeline-status'], queryFn: () => unwrap(api.GET('/api/airflow/pipeline-status/')), refetchInterval: 10_000 });

/** Per table of the organisation: last ingest, load and forecast, counts, freshness, failures. */
export const usePipelineStatus = () => useQuery(pipelineStatusQuery());
