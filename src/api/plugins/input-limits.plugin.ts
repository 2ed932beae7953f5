import { pipeline, Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { UserError, validationFailed } from '../../errors/index.js';
import { inputIssues, JsonDepthScanner, jsonTooDeep, parseJsonBody } from '../input-limits.js';

const isJson = (contentType: string | undefined): boolean => contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';

/**
 * The one place every route gets its input limits (see input-limits.ts):
 * the nesting of a JSON body is followed as it streams in and refused past
 * 64 levels, before anything parses it; after parsing, before the schemas
 * and the org guard run, every string and key of the path parameters, the
 * query and the body is checked. A route never sees a NUL, a lone surrogate
 * or a prototype key. Multipart fields are read by their route, which uses
 * `checkText`.
 */
export const inputLimitsPlugin = fp(async (app: FastifyInstance) => {
  // Replaces Fastify's default JSON parser, whose prototype-key refusal the checks below keep.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, async (_request: unknown, body: string | Buffer) =>
    parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')),
  );

  // A client that hung up while the request was authenticated (a database round trip) has no body left to
  // send, and Fastify's body reader, which listens only for events still to come, would wait for it forever.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.raw.readableAborted) throw new UserError('client_closed_request', 'The connection closed before the request body arrived; nothing was done');
    if (!isJson(request.headers['content-type'])) return payload;
    const scanner = new JsonDepthScanner();
    const checked = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        const at = scanner.push(chunk);
        done(at >= 0 ? jsonTooDeep(at) : null, chunk);
      },
    });
    // pipeline, not pipe: an aborted request must end the body reader with its error, not leave it waiting.
    pipeline(payload, checked, () => {});
    return checked;
  });

  app.addHook('preValidation', async (request) => {
    const issues = [...inputIssues(request.params, 'params'), ...inputIssues(request.query, 'query'), ...inputIssues(request.body, 'body')];
    if (issues.length > 0) throw validationFailed(issues);
  });
});
