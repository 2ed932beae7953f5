import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ForecastSettingsInput, FREQUENCIES, PLAN_STATUSES } from '../../forecasts/index.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse } from '../schemas.js';

const TableParams = z.object({ table: z.string().min(1).max(63) });
const Issue = z.object({ field: z.string(), message: z.string() });

const SettingsView = z.object({
  table: z.string(),
  enabled: z.boolean(),
  dateColumn: z.string().nullable(),
  itemColumns: z.array(z.string()).nullable(),
  quantityColumn: z.string().nullable(),
  onHandColumn: z.string().nullable(),
  leadTimeDays: z.number(),
  leadTimeColumn: z.string().nullable(),
  serviceLevel: z.number(),
  reviewPeriodDays: z.number(),
  horizon: z.number().int().nullable().describe("Periods to forecast; null: the default of each item's frequency"),
  frequency: z.enum(FREQUENCIES),
  schedule: z.object({ cron: z.string(), timezone: z.string(), nextRuns: z.array(z.string()) }).nullable(),
  detected: z.array(z.string()).describe('The settings whose column was detected from the names and types of the columns, not set'),
  issues: z.array(Issue).describe('What stops the forecast from running now; empty when it can run'),
  tableExists: z.boolean(),
});

const StatusCounts = z.object(Object.fromEntries(PLAN_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof PLAN_STATUSES)[number], z.ZodNumber>);

const TableForecast = z.object({
  table: z.string(),
  enabled: z.boolean(),
  lastRun: z
    .object({
      runId: z.string(),
      state: z.string(),
      trigger: z.string(),
      queuedAt: z.string(),
      startedAt: z.string().nullable(),
      endedAt: z.string().nullable(),
      error: z.string().nullable(),
      itemsDone: z.number().int(),
      itemsTotal: z.number().int().nullable(),
    })
    .nullable(),
  published: z
    .object({ table: z.string(), runId: z.string(), publishedAt: z.string(), items: z.number().int(), counts: StatusCounts, settings: z.record(z.string(), z.unknown()) })
    .nullable(),
  issues: z.array(Issue),
});

const PlanItem = z.record(z.string(), z.unknown()).describe('`key`, the item columns as in the table, then the plan: on_hand, demand_class, model, backtest_mase, avg_daily_demand, lead_time_days, lead_time_demand, safety_stock, reorder_point, order_quantity, stockout_date, days_of_cover, status, run_id');

/**
 * Forecasts (issue 15): a table's forecast settings, and what its last
 * forecast published (CONTRACT.md, Forecast). Another organisation's table
 * is a 404, whatever its name.
 */
export const forecastsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { forecasts } = services;

  app.get(
    '/api/tables/:table/forecast',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['forecasts'],
        summary: "A table's forecast settings, with the columns detected and what stops it from running",
        params: TableParams,
        response: { 200: SettingsView, ...authErrors, 404: ErrorResponse },
      },
    },
    async (request) => forecasts.getSettings(request.principal!.orgId, request.params.table),
  );

  app.put(
    '/api/tables/:table/forecast',
    {
      config: { auth: 'editor', audit: 'forecast.settings', bodyErrorCode: 'invalid_config' },
      schema: {
        tags: ['forecasts'],
        summary: "Sets a table's forecast settings (replacing them); columns left out are detected",
        description:
          'Columns named must exist and fit their role (422 `forecast_column_invalid` naming the setting otherwise); with `enabled` (the default) every column the forecast needs must be found. ' +
          '`schedule` forecasts on a CRON schedule too; the forecast also runs after every load of the table.',
        params: TableParams,
        body: ForecastSettingsInput,
        response: { 200: SettingsView, ...authErrors, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const p = request.principal!;
      request.audit.target = `table:${request.params.table}`;
      return forecasts.putSettings(p.orgId, request.params.table, request.body, p.actor);
    },
  );

  app.get(
    '/api/forecasts',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['forecasts'],
        summary: 'Per table whose forecast is on (or was published): the last run with its progress, the items and their count by status',
        response: { 200: z.object({ tables: z.array(TableForecast) }), ...authErrors },
      },
    },
    async (request) => ({ tables: await forecasts.list(request.principal!.orgId) }),
  );

  app.get(
    '/api/forecasts/:table/items',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['forecasts'],
        summary: "A table's plan from its last forecast: the items to reorder first (by stock-out date), or ordered by a column",
        params: TableParams,
        querystring: z.object({
          status: z.enum(PLAN_STATUSES).optional(),
          q: z.string().max(200).optional().describe('Only items whose item columns contain this text'),
          orderBy: z.string().max(64).optional().describe('A column of the plan; prefix with - for descending'),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: {
          200: z.object({ table: z.string(), runId: z.string(), publishedAt: z.string(), itemColumns: z.array(z.string()), total: z.number().int(), items: z.array(PlanItem) }),
          ...authErrors,
          404: ErrorResponse,
        },
      },
    },
    async (request) => forecasts.plan(request.principal!.orgId, request.params.table, request.query),
  );

  app.get(
    '/api/forecasts/:table/items/:key',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['forecasts'],
        summary: "One item: its plan, its history per day, its forecast with the 80 % band, and its stock on hand as forecast",
        description: "`key` is the item's value, or the JSON array of its values when the table names items by several columns (the `key` of the plan's items).",
        params: TableParams.extend({ key: z.string().min(1).max(1000) }),
        response: {
          200: z.object({
            table: z.string(),
            key: z.string(),
            item: z.record(z.string(), z.string()),
            runId: z.string(),
            plan: z.record(z.string(), z.unknown()),
            history: z.array(z.object({ date: z.string(), quantity: z.number(), onHand: z.number().nullable() })),
            forecast: z.array(z.object({ period: z.string(), forecast: z.number(), lower: z.number(), upper: z.number() })),
            projectedStock: z.array(z.object({ period: z.string(), onHand: z.number() })),
          }),
          ...authErrors,
          404: ErrorResponse,
        },
      },
    },
    async (request) => forecasts.item(request.principal!.orgId, request.params.table, request.params.key),
  );
};
