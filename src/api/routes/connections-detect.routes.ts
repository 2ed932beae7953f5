import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConnectionInput, maskConnectionBody } from '../../connections/index.js';
import { Confidence, detectConnection, DetectInput, FindingSchema } from '../../connectors/http/detect/index.js';
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
  confidence: Confidence.optional(),
});

/** The detect body in the shape of a connection, so the connection masking (auth, headers, URL) applies to the audit trail. */
function maskDetectBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  const masked = maskConnectionBody({ apiConfig: { baseUrl: b.url, auth: b.auth, headers: b.headers } }) as { apiConfig: Record<string, unknown> };
  return { ...b, url: masked.apiConfig.baseUrl, auth: masked.apiConfig.auth, headers: masked.apiConfig.headers };
}

/** Connections worked out for the user: from one address (detect). */
export const connectionsDetectRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
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
};

/** Stops reading the source when the caller hangs up before the answer is sent. */
function abortOnClose(response: { once(event: 'close', listener: () => void): unknown; writableFinished: boolean }): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
