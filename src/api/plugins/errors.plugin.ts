import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, ERROR_CODES, type ErrorCode, type FieldIssue } from '../../errors/index.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

const send = (reply: FastifyReply, code: ErrorCode, message: string, details?: unknown, status: number = ERROR_CODES[code].status) =>
  reply.status(status).send({ error: details === undefined ? { code, message } : { code, message, details } } satisfies ErrorBody);

/** The field a schema validation error is about: `email`, `limit`, `apiConfig.baseUrl`. */
function fieldOf(context: string | undefined, instancePath: string | undefined): string {
  const path = (instancePath ?? '').split('/').filter(Boolean).join('.');
  if (path) return path;
  return context === 'body' ? '(body)' : (context ?? '(request)');
}

/**
 * The one place errors become HTTP answers. Expected errors (AppError) keep
 * their code and message; request validation names each bad field; anything
 * else is a bug: logged in full, answered with a generic 500.
 */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      request.audit.errorCode = error.code;
      reply.headers(error.headers);
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return send(reply, error.code, error.message, error.details);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues: FieldIssue[] = error.validation.map((v) => ({
        field: fieldOf(error.validationContext, v.instancePath),
        message: v.message ?? 'is invalid',
      }));
      // A configuration document (a connection) that is valid JSON but not a valid configuration is a 422.
      const code = error.validationContext === 'body' ? (request.routeOptions.config.bodyErrorCode ?? 'validation_failed') : 'validation_failed';
      request.audit.errorCode = code;
      return send(reply, code, issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response does not match its schema');
      return send(reply, 'internal', `Internal error (request ${request.id})`);
    }
    const fastifyError = error as FastifyError;
    const status = fastifyError.statusCode ?? 500;
    if (status < 500) {
      const code = codeForClientError(fastifyError, status);
      request.audit.errorCode = code;
      return send(reply, code, clientMessage(fastifyError, code), undefined, status);
    }
    request.log.error({ err: error }, 'unexpected error');
    request.audit.errorCode = 'internal';
    return send(reply, 'internal', `Internal error (request ${request.id}); the details are in the server log`);
  });

  app.setNotFoundHandler((request, reply) => {
    request.audit.errorCode = 'not_found';
    return send(reply, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
  });
});

function codeForClientError(error: FastifyError, status: number): ErrorCode {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'payload_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    default:
      break;
  }
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'bad_request';
  }
}

function clientMessage(error: FastifyError, code: ErrorCode): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return 'The request body is not valid JSON';
  if (code === 'payload_too_large') return 'The request body is larger than allowed';
  if (code === 'unsupported_media_type') return `Content-Type is not accepted here (${error.message})`;
  return error.message;
}
