import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isDataException, storableText } from '../../db/index.js';
import { AppError, ERROR_CODES, type ErrorCode, type FieldIssue } from '../../errors/index.js';
import type { RequestAuditor } from './audit.plugin.js';

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
 * their code and message; request validation names each bad field; what the
 * client caused (a body that did not arrive, a value PostgreSQL refuses, an
 * error Fastify marks 4xx) is a 4xx; anything else is a bug: logged in full,
 * answered with a generic 500.
 */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    // Set by the audit plugin's first hook; absent only if a hook before it failed.
    request.audit ??= {};
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
    if (clientClosed(error, request)) {
      request.audit.errorCode = 'client_closed_request';
      return send(reply, 'client_closed_request', 'The connection closed before the whole request arrived; nothing was kept');
    }
    if (isDataException(error)) {
      // A value the checks let through that PostgreSQL refuses (a number out of range, a malformed date): the
      // request's fault, so a 400; logged as an error all the same, since a route should have named the field.
      request.log.error({ err: error }, 'PostgreSQL refused a value of the request; a check is missing');
      request.audit.errorCode = 'bad_request';
      return send(reply, 'bad_request', `A value in the request cannot be used: ${storableText(error.message)}`);
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
    request.audit ??= {};
    request.audit.errorCode = 'not_found';
    return send(reply, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
  });
});

/** The request stream ended early because the client went away (Node's "aborted"), which is no fault of Sluice's. */
function clientClosed(error: Error, request: FastifyRequest): boolean {
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_MP_PREMATURE_CLOSE') return true;
  return code === 'ECONNRESET' && error.message === 'aborted' && request.raw.readableAborted;
}

/**
 * Fastify's `frameworkErrors`: requests refused before routing (a path that
 * is not percent-encoded UTF-8, such as `%ED%A0%80` for a lone surrogate or
 * a bare `%`; a path parameter longer than the router allows), answered in
 * the error shape of every other answer, audited and counted (`onAnswered`)
 * like them: no hook runs for these requests.
 */
export function frameworkErrorHandler(auditor: RequestAuditor, onAnswered?: (request: FastifyRequest, reply: FastifyReply) => void) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const path = request.url.split('?')[0] ?? '';
    const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
    const message = tooLong
      ? `params: a path parameter is longer than ${MAX_PARAM_LENGTH} characters`
      : `path: ${JSON.stringify(path.slice(0, 200))} is not a valid URL path (each %XX escape must encode UTF-8, and a lone surrogate such as %ED%A0%80 is not UTF-8)`;
    const code: ErrorCode = 'bad_request';
    request.audit = { errorCode: code };
    void send(reply, code, message, undefined, tooLong ? 414 : 400);
    void auditor.record(request, reply);
    onAnswered?.(request, reply);
  };
}

/** The longest path parameter the router takes (Fastify's default, 100, is shorter than an `etl_workflow_<connectionId>` DAG id). */
export const MAX_PARAM_LENGTH = 500;

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser cannot read
 * (malformed, headers too large, a body cut short while the client still
 * listens). Answered in the error shape when the socket can still take it,
 * instead of Fastify's `{"error": "Bad Request", "message": "Client Error"}`.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({
    error: { code: 'bad_request', message: `The request could not be read as HTTP (${error.code ?? 'malformed'})` },
  } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

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
