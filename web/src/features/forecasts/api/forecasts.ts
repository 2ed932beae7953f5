import { keepPreviousData, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api-client';
import type { paths } from '../../../api/schema';

export type TableForecast = paths['/api/forecasts']['get']['responses'][200]['content']['application/json']['tables'][number];
export type PlanPage = paths['/api/forecasts/{table}/items']['get']['responses'][200]['content']['application/json'];
export type PlanQuery = NonNullable<paths['/api/forecasts/{table}/items']['get']['parameters']['query']>;
export type PlanStatus = NonNullable<PlanQuery['status']>;
export type ForecastItem = paths['/api/forecasts/{table}/items/{key}']['get']['responses'][200]['content']['application/json'];
export type ForecastSettings = paths['/api/tables/{table}/forecast']['get']['responses'][200]['content']['application/json'];
export type ForecastSettingsInput = NonNullable<paths['/api/tables/{table}/forecast']['put']['requestBody']>['content']['application/json'];

export const PLAN_STATUSES: PlanStatus[] = ['reorder_now', 'ok', 'overstock', 'no_demand', 'too_short'];

const active = (run: TableForecast['lastRun']) => run !== null && (run.state === 'queued' || run.state === 'running');

export const forecastsQuery = () =>
  queryOptions({
    queryKey: ['forecasts'],
    queryFn: () => unwrap(api.GET('/api/forecasts')),
    // While a forecast runs, its progress (items done / total) is followed.
    refetchInterval: (query) => (query.state.data?.tables.some((t) => active(t.lastRun)) ? 1500 : 15_000),
  });

/** Per table whose forecast is on: its last run with progress, and what its last forecast published. */
export const useForecasts = () => useQuery(forecastsQuery());

export const planQuery = (table: string, query: PlanQuery, runId: string | null) =>
  queryOptions({
    // The published run is in the key: a new forecast reads the plan again.
    queryKey: ['forecasts', table, 'items', runId, query],
    queryFn: () => unwrap(api.GET('/api/forecasts/{table}/items', { params: { path: { table }, query } })),
    placeholderData: keepPreviousData,
    retry: false,
  });

/** One page of a table's plan: by default the items to reorder first, the soonest stock-out first. */
export const usePlan = (table: string, query: PlanQuery, runId: string | null) => useQuery({ ...planQuery(table, query, runId), enabled: runId !== null });

/** One item for its chart: history, forecast with its band, projected stock and plan. */
export const useForecastItem = (table: string, key: string | null) =>
  useQuery({
    queryKey: ['forecasts', table, 'item', key],
    queryFn: () => unwrap(api.GET('/api/forecasts/{table}/items/{key}', { params: { path: { table, key: key! } } })),
    enabled: key !== null,
    retry: false,
  });

/** A table's forecast settings, with the columns detected and what stops it from running. */
export const useForecastSettings = (table: string) =>
  useQuery({ queryKey: ['forecasts', table, 'settings'], queryFn: () => unwrap(api.GET('/api/tables/{table}/forecast', { params: { path: { table } } })), retry: false });

export const useSaveForecastSettings = (table: string) => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ForecastSettingsInput) => unwrap(api.PUT('/api/tables/{table}/forecast', { params: { path: { table } }, body })),
    onSuccess: (settings) => {
      client.setQueryData(['forecasts', table, 'settings'], settings);
      void client.invalidateQueries({ queryKey: ['forecasts'] });
    },
  });
};

/** Starts forecast_inventory_dag for one table (the seed's trigger endpoint). */
export const useRunForecast = (table: string) => {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/airflow/trigger/forecast-inventory/', { body: { table } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['forecasts'] }),
  });
};
