import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import '@fastify/multipart';
import { isAppError, UserError, validationFailed, type FieldIssue } from '../../errors/index.js';
import { FileRecord, type ReceivedUpload } from '../../files/index.js';
import { ORG_INGEST_DAG } from '../../pipelines/index.js';
import type { Services } from '../../services.js';
import { storableText } from '../../db/index.js';
import { checkColumnName, checkTableName, WriteMode } from '../../stores/warehouse/index.js';
import { checkText } from '../input-limits.js';
import { authErrors, ErrorResponse, IdParams } from '../schemas.js';

const Uploaded = z.object({
  file_id: z.string(),
  dag_id: z.literal(ORG_INGEST_DAG),
  dag_run_id: z.string(),
  duplicate: z.boolean().describe('The same bytes were already uploaded for this table: the earlier file is ingested again (nothing is duplicated)'),
  file: FileRecord,
});

const field = (issues: FieldIssue[]) => validationFailed(issues, 'invalid_config');

/** The longest text field value an upload takes, in bytes (the multipart `fieldSize` limit, set in server.ts). */
export const MAX_UPLOAD_FIELD_BYTES = 10_000;

/**
 * Maps what reading a multipart body can throw to Sluice's codes: the
 * limits of @fastify/multipart, and the parser's own plain errors (no
 * boundary, a wrong one, a malformed part, a body that ends before its
 * closing boundary), which are the client's doing. A failure of the disk
 * (an error with a `syscall`) or a bug stays what it is: a 500.
 */
function uploadError(error: unknown, maxBytes: number): unknown {
  if (isAppError(error) || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new UserError(code === 'FST_REQ_FILE_TOO_LARGE' ? 'payload_too_large' : 'bad_request', code === 'FST_REQ_FILE_TOO_LARGE' ? `the file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MiB allowed (SLUICE_MAX_UPLOAD_MB)` : 'send one file (field "file") and the fields table, write_mode, primary_key, inventory');
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return new UserError('unsupported_media_type', 'send the file as multipart/form-data with the fields "file" and "table"');
  if (code === 'FST_INVALID_JSON_FIELD_ERROR' || code === 'FST_PROTO_VIOLATION') {
    return new UserError('multipart_malformed', `the multipart body cannot be read: ${error.message}`);
  }
  const stillOurs = typeof code === 'string' || 'syscall' in error || error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError;
  if (stillOurs) return error;
  return new UserError('multipart_malformed', `the multipart body cannot be read: ${error.message} (send multipart/form-data with a boundary, the fields "file" and "table", and the closing boundary)`);
}

/** Files (CONTRACT.md, Files and the org-aware pipelines): upload, list, one. */
export const filesRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { files, orgPipelines, tableSettings } = services;
  const maxBytes = services.config.uploads.maxBytes;

  app.post(
    '/api/files/',
    {
      config: { auth: 'editor', audit: 'file.upload' },
      schema: {
        tags: ['files'],
        summary: 'Upload a CSV, TSV, JSON, NDJSON or Excel (.xlsx) file into a table',
        description:
          'multipart/form-data with `file` and `table` (and optionally `write_mode` append|replace|upsert, `primary_key` comma-separated, `inventory` true|false, which set how the table loads; ' +
          'for an .xlsx workbook, `sheet`: the sheet to read, by name or position from 1, the first one by default). ' +
          'An empty file, a file that is not one of these formats, or a sheet the workbook does not have is refused at once (422) and nothing is kept. ' +
          'The file streams to disk; the answer comes at once with the file id and the run of enhanced_org_aware_ingest_dag it triggered, which lands the rows and triggers the load. ' +
          `Past SLUICE_MAX_UPLOAD_MB the upload is refused with 413 and nothing is kept.`,
        consumes: ['multipart/form-data'],
        response: { 201: Uploaded, ...authErrors, 404: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const p = request.principal!;
      const fields: Record<string, string> = {};
      let received: ReceivedUpload | undefined;
      let filename = 'upload';
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || received) {
              part.file.resume();
              throw new UserError('bad_request', received ? 'send one file per upload' : `the file goes in the field "file", not "${storableText(part.fieldname)}"`);
            }
            filename = part.filename ? checkText('file.filename', part.filename) : 'upload';
            received = await files.receive(part.file);
          } else {
            const value = checkText(storableText(part.fieldname), String(part.value));
            if (part.valueTruncated) throw field([{ field: storableText(part.fieldname), message: `longer than the ${MAX_UPLOAD_FIELD_BYTES} bytes allowed` }]);
            fields[part.fieldname] = value;
          }
        }
        if (!received) throw field([{ field: 'file', message: 'required: the file to upload' }]);
        const issues: { field: string; message: string }[] = [];
        let table = '';
        try {
          table = checkTableName(fields.table ?? '');
        } catch (error) {
          issues.push({ field: 'table', message: fields.table ? (error as Error).message : 'required: the table the rows go to' });
        }
        const mode = fields.write_mode === undefined ? undefined : WriteMode.safeParse(fields.write_mode);
        if (mode && !mode.success) issues.push({ field: 'write_mode', message: 'must be append, replace or upsert' });
        const key = fields.primary_key?.split(',').map((k) => k.trim()).filter(Boolean);
        if (mode?.data === 'upsert' && !key?.length) issues.push({ field: 'primary_key', message: 'required with write_mode upsert' });
        for (const column of key ?? []) {
          try {
            checkColumnName(column, 'primary key column');
          } catch (error) {
            issues.push({ field: 'primary_key', message: (error as Error).message });
          }
        }
        if (fields.inventory !== undefined && !['true', 'false'].includes(fields.inventory)) issues.push({ field: 'inventory', message: 'must be true or false' });
        if (issues.length > 0) throw field(issues);

        const { file, duplicate } = await files.commit(p.orgId, p.userId, { table, filename, sheet: fields.sheet?.trim() || undefined }, received);
        received = undefined;
        request.audit.target = `file:${file.fileId}`;
        if (mode?.data || key || fields.inventory !== undefined) {
          await tableSettings.set(p.orgId, table, { writeMode: mode?.data, primaryKey: key, inventory: fields.inventory === undefined ? undefined : fields.inventory === 'true' });
        }
        const run = await orgPipelines.triggerIngest(p.orgId, { table, file_id: file.fileId, user_id: p.userId, triggered_by: 'file_upload' }, p.actor);
        return reply.status(201).send({ file_id: file.fileId, dag_id: ORG_INGEST_DAG, dag_run_id: run.runId, duplicate, file: await files.get(p.orgId, file.fileId) });
      } catch (error) {
        if (received) await files.discard(received);
        const mapped = uploadError(error, maxBytes);
        if (isAppError(mapped) && (mapped.code === 'payload_too_large' || mapped.code === 'multipart_malformed')) {
          // The client may still be sending: answering now would leave it writing into a closed socket, and unread body bytes on a kept-alive one.
          reply.header('connection', 'close');
        }
        throw mapped;
      }
    },
  );

  app.get(
    '/api/files/',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['files'],
        summary: "The organisation's uploaded files, newest first",
        querystring: z.object({ table: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ files: z.array(FileRecord) }), ...authErrors },
      },
    },
    async (request) => ({ files: await files.list(request.principal!.orgId, request.query) }),
  );

  app.get(
    '/api/files/:id/',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['files'], summary: 'One uploaded file: status and row counts', params: IdParams, response: { 200: FileRecord, ...authErrors, 404: ErrorResponse } },
    },
    async (request) => files.get(request.principal!.orgId, request.params.id),
  );
};
