import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { RejectedEntry, TableSummary } from '../../stores/warehouse/index.js';
import { authErrors, ErrorResponse } from '../schemas.js';

const TableParams = z.object({ table: z.string().min(1).max(63) });

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});


/** The organisation's warehouse tables (CONTRACT.md, Data). Another organisation's table is a 404, whatever its name. */
export const tablesRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/tables',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['data'], summary: "The organisation's tables", response: { 200: z.object({ tables: z.array(TableSummary) }), ...authErrors } },
    },
    async (request) => ({ tables: await services.warehouse.listTables(request.principal!.orgId) }),
  );

  app.get(
    '/api/tables/:table/rows',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['data'],
        summary: 'Rows of a table, with Sluice’s _sluice_run_id and _sluice_loaded_at',
        params: TableParams,
        querystring: Page.extend({
          orderBy: z.string().max(64).optional().describe('A column name; prefix with - for descending'),
        }),
        response: { 200: z.object({ rows: z.array(z.record(z.string(), z.unknown())), total: z.number().int() }), ...authErrors, 404: ErrorResponse },
      },
    },
    async (request) => services.warehouse.rows(request.principal!.orgId, request.params.table, request.query),
  );

  app.get(
    '/api/tables/:table/rejected',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['data'],
        summary: 'Rows that were not loaded, with the field and the reason',
        params: TableParams,
        querystring: Page,
        response: {
          200: z.object({
            rows: z.array(RejectedEntry),
            total: z.number().int(),
          }),
          ...authErrors,
          404: ErrorResponse,
        },
      },
    },
    async (request) => services.warehouse.rejected(request.principal!.orgId, request.params.table, request.query),
  );
};
