import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { Readable } from 'node:stream';
import { notFound } from '../../errors/index.js';
import { QualityReport } from '../../quality/index.js';
import { csvLines, ExportPart, RejectedEntry, TableSummary } from '../../stores/warehouse/index.js';
import { authErrors, ErrorResponse } from '../schemas.js';

const TableParams = z.object({ table: z.string().min(1).max(63) });

/** `true`/`false` (also 1/0) in a query string. */
const BooleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

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

  app.get(
    '/api/tables/:table/quality',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['data'],
        summary: "Quality reports of the table's loads (uploads and connection runs), newest first",
        params: TableParams,
        querystring: z.object({ days: z.coerce.number().int().min(1).max(3650).default(7) }),
        response: { 200: z.object({ table: z.string(), days: z.number().int(), reports: z.array(QualityReport) }), ...authErrors, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { orgId } = request.principal!;
      const { table } = request.params;
      if (!(await services.warehouse.listTables(orgId)).some((t) => t.name === table)) throw notFound('Table', table);
      return { table, days: request.query.days, reports: await services.quality.list(orgId, { table, days: request.query.days }) };
    },
  );

  app.get(
    '/api/tables/:table/export',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['data'],
        summary: 'The whole table (or its rejected rows) as CSV, streamed',
        description:
          'Columns as in the table (`part=rejected`: row_number, field, reason, run_id, source_id, rejected_at, raw). ' +
          'A text cell starting with = + - @ gets a leading apostrophe so that spreadsheets do not run it as a formula (`escapeFormulas=false` keeps cells as they are); `bom=true` starts the file with a byte-order mark for Excel.',
        params: TableParams,
        querystring: z.object({
          format: z.enum(['csv']).default('csv'),
          part: ExportPart.default('rows'),
          escapeFormulas: BooleanFlag.default(true),
          bom: BooleanFlag.default(false),
        }),
        produces: ['text/csv'],
        response: { 200: z.string().describe('CSV (RFC 4180)'), ...authErrors, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { table } = request.params;
      const { part, escapeFormulas, bom } = request.query;
      const exported = await services.warehouse.export(request.principal!.orgId, table, part);
      const filename = part === 'rows' ? `${table}.csv` : `${table}__rejected.csv`;
      // A stream, which the typed reply (JSON or a string) does not describe; Fastify sends it as it is.
      return (reply as unknown as FastifyReply)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .send(Readable.from(csvLines(exported, { escapeFormulas, bom })));
    },
  );
};
