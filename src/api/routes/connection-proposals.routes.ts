import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConnectionInput, maskConnectionBody } from '../../connections/index.js';
import { maskUrlCredentials, secretPointers } from '../../connections/secrets.js';
import { detectConnection, DetectInput, FindingSchema } from '../../connectors/http/detect/index.js';
import { importCurl, importOpenApi, MAX_CURL_COMMAND, OpenApiInput } from '../../connectors/http/import/index.js';
import { UserError } from '../../errors/index.js';
import { fieldIssues } from '../../errors/validate.js';
import { PaginationConfig } from '../../connectors/http/config.schema.js';
import type { Services } from '../../services.js';
import { authErrors, ErrorResponse } from '../schemas.js';

const RequestLog = z.object({
  method: z.string(),
  url: z.string(),
  status: z.number().int().nullable(),
  ms: z.number(),
  attempt: z.number().int(),
  error: z.string().optional(),
});

const Question = z.object({
  about: z.enum(['recordsPath', 'pagination', 'primaryKey']),
  question: z.string(),
  saw: z.array(z.string()).describe('What the first pages showed'),
});

const Detection = z.object({
  proposal: ConnectionInput.describe('A connection to POST to /api/connections; secrets come back as ******** and are to be sent again'),
  findings: z.object({
    recordsPath: FindingSchema.extend({ value: z.string().nullable() }),
    pagination: FindingSchema.extend({ value: PaginationConfig.nullable() }),
    fieldMappings: FindingSchema.extend({ value: z.number().int() }),
    primaryKey: FindingSchema.extend({ value: z.object({ field: z.string(), column: z.string() }).nullable() }),
    incremental: FindingSchema.extend({ value: z.object({ cursorField: z.string() }).nullable() }),
  }),
  questions: z.array(Question).describe('What detection could not decide; empty when it decided everything'),
  sample: z.array(z.unknown()).describe('The first records of the first page, as the API sent them'),
  requests: z.array(RequestLog),
});

/** The detect body in the shape of a connection, so the connection masking (auth, headers, URL) applies to the audit trail. */
function maskDetectBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  const masked = maskConnectionBody({ apiConfig: { baseUrl: b.url, auth: b.auth, headers: b.headers, body: b.body } }) as { apiConfig: Record<string, unknown> };
  return { ...b, url: masked.apiConfig.baseUrl, auth: masked.apiConfig.auth, headers: masked.apiConfig.headers, body: masked.apiConfig.body };
}

const CurlInput = z.object({ command: z.string().min(1).max(MAX_CURL_COMMAND).describe('A curl command, as copied from an API\'s documentation') });

const CurlImport = z.object({
  proposal: ConnectionInput.describe('A connection to POST to /api/connections, the secrets in their secret fields so that they are sealed when it is saved'),
  secretFields: z.array(z.string()).describe('Where the secrets of the command were put (apiConfig.auth.token, parameters.0.value...)'),
  warnings: z.array(z.object({ option: z.string(), message: z.string() })).describe('Options of the command Sluice does not carry out, each named'),
  notes: z.array(z.string()).describe('Options carried out in Sluice\'s own way'),
});

const OpenApiAnswer = z.object({
  operations: z
    .array(
      z.object({
        key: z.string().describe('GET /path: what to send back as operation'),
        operationId: z.string().nullable(),
        summary: z.string().nullable(),
        parameters: z.array(z.object({ name: z.string(), in: z.string(), required: z.boolean(), type: z.string().nullable() })),
      }),
    )
    .describe("The document's GET operations"),
  proposal: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('With operation: the connection prefilled (the body of POST /api/connections once the fields in needs are filled in)'),
  findings: z.record(z.string(), FindingSchema).optional(),
  needs: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('What the document cannot give: secrets, path parameter values'),
});

/** An OpenAPI document is kept out of the audit trail (its size only); its URL with any credentials masked. */
const maskOpenApiBody = (body: unknown): unknown => {
  if (!body || typeof body !== 'object') return body;
  const b = body as Record<string, unknown>;
  return {
    ...b,
    ...(b.document !== undefined ? { document: `[a document of ${JSON.stringify(b.document)?.length ?? 0} characters]` } : {}),
    ...(typeof b.url === 'string' ? { url: maskUrlCredentials(b.url) } : {}),
  };
};

/** A curl command holds credentials in free text: the audit trail keeps its length only. */
const maskCurlBody = (body: unknown): unknown =>
  body && typeof body === 'object' && typeof (body as { command?: unknown }).command === 'string'
    ? { command: `[a curl command of ${(body as { command: string }).command.length} characters, not kept: it may hold credentials]` }
    : body;

/** Connections worked out for the user: from one address (detect), from a curl command (import). */
export const connectionProposalsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/connections/detect',
    {
      config: { auth: 'editor', audit: 'connection.detect', bodyErrorCode: 'invalid_config', auditBody: maskDetectBody },
      schema: {
        tags: ['connections'],
        summary: 'Work out a connection from one address: records, pagination (verified on page 2), fields, key and cursor, with evidence',
        body: DetectInput,
        response: { 200: Detection, ...authErrors, 422: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      request.audit.target = `url:${(maskDetectBody(request.body) as { url: string }).url}`;
      return detectConnection(request.body, services.sources.client, { signal: abortOnClose(reply.raw) });
    },
  );

  app.post(
    '/api/connections/import/curl',
    {
      config: { auth: 'editor', audit: 'connection.import', auditBody: maskCurlBody },
      schema: {
        tags: ['connections'],
        summary: 'Read a curl command into a connection: auth, headers, query parameters and body; unsupported options named in warnings',
        body: CurlInput,
        response: { 200: CurlImport, ...authErrors, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const imported = await importCurl(request.body.command);
      // A command may carry what no connection can hold (a header name with a space): said as the command's fault, naming the field.
      const proposal = ConnectionInput.safeParse(imported.proposal);
      if (!proposal.success) {
        const issues = fieldIssues(proposal.error);
        throw new UserError('curl_invalid', `The curl command cannot become a connection: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { details: { issues } });
      }
      // The answer holds the caller's own credentials, for the form to save: never kept by a cache.
      reply.header('cache-control', 'no-store');
      // Where the secrets are, as saving the proposal will seal them (auth, credential-like headers, parameters and body values).
      return { ...imported, secretFields: secretPointers(proposal.data), proposal: proposal.data };
    },
  );

  app.post(
    '/api/connections/import/openapi',
    {
      config: { auth: 'editor', audit: 'connection.import', auditBody: maskOpenApiBody },
      schema: {
        tags: ['connections'],
        summary: "List an OpenAPI document's GET operations, or prefill a connection from one of them",
        body: OpenApiInput,
        response: { 200: OpenApiAnswer, ...authErrors, 413: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => importOpenApi(request.body, services.sources.client, { signal: abortOnClose(reply.raw) }),
  );
};

/** Stops reading the source when the caller hangs up before the answer is sent. */
function abortOnClose(response: { once(event: 'close', listener: () => void): unknown; writableFinished: boolean }): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
