import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpExtraction } from '../src/connectors/http/extract.js';
import { describeEachDatabase } from './helpers/databases.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { startApiCorpus, type ApiCorpus } from './fixtures/api-corpus.js';

/** An OpenAPI 3 document, in YAML, for the corpus's reqres-like API (page/per_page, total_pages, data). */
const documentFor = (server: string) => `
openapi: 3.0.3
info: { title: Users API, version: "1.0" }
servers:
  - url: ${server}
security:
  - token: []
components:
  securitySchemes:
    token: { type: http, scheme: bearer }
  schemas:
    User:
      type: object
      required: [id]
      properties:
        id: { type: integer }
        name: { type: string }
        email: { type: string, format: email }
        amount: { type: number }
        created_at: { type: string, format: date-time }
        updated_at: { type: string, format: date-time }
    UserPage:
      type: object
      properties:
        page: { type: integer }
        per_page: { type: integer }
        total: { type: integer }
        total_pages: { type: integer }
        data:
          type: array
          items: { $ref: '#/components/schemas/User' }
paths:
  /users:
    get:
      operationId: listUsers
      summary: Users
      parameters:
        - { name: page, in: query, schema: { type: integer, minimum: 1 } }
        - { name: per_page, in: query, schema: { type: integer, default: 6 } }
        - { name: updated_since, in: query, schema: { type: string, format: date-time } }
      responses:
        '200':
          description: A page of users
          content:
            application/json:
              schema: { $ref: '#/components/schemas/UserPage' }
  /users/{id}:
    get:
      operationId: getUser
      parameters:
        - { name: id, in: path, required: true, schema: { type: integer } }
      responses:
        '200':
          description: One user
          content:
            application/json:
              schema: { $ref: '#/components/schemas/User' }
`;

describeEachDatabase('POST /api/connections/import/openapi', (fx) => {
  let t: TestApp;
  let corpus: ApiCorpus;
  let docs: Server;
  let docsUrl: string;
  let editor: { token: string };

  beforeAll(async () => {
    corpus = await startApiCorpus();
    docs = createServer((req, res) => {
      if (req.url === '/openapi.yaml') {
        res.writeHead(200, { 'content-type': 'application/yaml' });
        res.end(documentFor(`${corpus.url}/reqres/api`));
      } else {
        res.writeHead(404);
        res.end('no');
      }
    });
    await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
    docsUrl = `http://127.0.0.1:${(docs.address() as AddressInfo).port}`;
    t = await createTestApp(fx);
    editor = await t.orgWithUser('acme', 'editor');
  });
  afterAll(async () => {
    await t?.close();
    await corpus?.close();
    await new Promise((resolve) => docs?.close(resolve));
  });

  const post = (payload: unknown) => t.app.inject({ method: 'POST', url: '/api/connections/import/openapi', headers: bearer(editor.token), payload: payload as object });

  it('lists the GET operations of a document with their parameters', async () => {
    const res = await post({ document: documentFor(`${corpus.url}/reqres/api`) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().operations).toEqual([
      {
        key: 'GET /users',
        operationId: 'listUsers',
        summary: 'Users',
        parameters: [
          { name: 'page', in: 'query', required: false, type: 'integer' },
          { name: 'per_page', in: 'query', required: false, type: 'integer' },
          { name: 'updated_since', in: 'query', required: false, type: 'string' },
        ],
      },
      { key: 'GET /users/{id}', operationId: 'getUser', summary: null, parameters: [{ name: 'id', in: 'path', required: true, type: 'integer' }] },
    ]);
  });

  it('prefills a connection from an operation fetched by URL: records, pages, types, key, cursor with its parameter, auth; once the token is filled in it reads every record', async () => {
    const res = await post({ url: `${docsUrl}/openapi.yaml`, operation: 'listUsers' });
    expect(res.statusCode, res.body).toBe(200);
    const answer = res.json();
    expect(answer.proposal).toMatchObject({
      apiConfig: {
        baseUrl: `${corpus.url}/reqres/api/users`,
        auth: { type: 'bearer', token: '' },
        recordsPath: '$.data',
        pagination: { type: 'page', pageParam: 'page', startPage: 1, sizeParam: 'per_page', pageSize: 6, totalPagesPath: '$.total_pages' },
      },
      parameters: [{ name: 'updated_since', in: 'query', value: '{{ cursor }}' }],
      destination: { writeMode: 'upsert', primaryKey: ['id'] },
      incremental: { cursorField: 'updated_at' },
    });
    expect(answer.proposal.fieldMappings).toEqual(
      expect.arrayContaining([
        { source: '$.id', target: 'id', type: 'integer', required: false },
        { source: '$.amount', target: 'amount', type: 'number', required: false },
        { source: '$.updated_at', target: 'updated_at', type: 'timestamp', required: false },
      ]),
    );
    expect(answer.findings.incremental.evidence.join(' ')).toContain('updated_since');
    expect(answer.needs).toEqual([{ field: 'apiConfig.auth.token', message: 'the token' }]);

    const config = t.services.connections.parse({ ...answer.proposal, apiConfig: { ...answer.proposal.apiConfig, auth: { type: 'bearer', token: 'any' } } });
    const extraction = new HttpExtraction(config, { now: new Date(), lastRunAt: undefined, cursor: undefined }, t.services.sources.client);
    const ids = new Set<number>();
    for await (const batch of extraction.batches()) for (const r of batch) ids.add((r as { id: number }).id);
    expect(ids.size).toBe(corpus.styles.find((s) => s.path.startsWith('/reqres'))!.total);
  });

  it('asks for path parameter values it cannot know', async () => {
    const res = await post({ document: documentFor(`${corpus.url}/reqres/api`), operation: 'GET /users/{id}' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().proposal.parameters).toEqual([{ name: 'id', in: 'path', value: '' }]);
    expect(res.json().needs).toEqual(expect.arrayContaining([{ field: 'parameters.0.value', message: 'a value for the path parameter id' }]));
  });

  it('refuses what is not a valid document, an unknown operation, and never follows an external reference', async () => {
    const notYaml = await post({ document: 'openapi: [3' });
    expect(notYaml.statusCode).toBe(422);
    expect(notYaml.json().error.code).toBe('openapi_invalid');
    const invalid = await post({ document: { openapi: '3.0.3', paths: {} } });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().error.code).toBe('openapi_invalid');
    const unknown = await post({ document: documentFor(`${corpus.url}/reqres/api`), operation: 'GET /nope' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error.message).toContain('GET /users');
    expect(unknown.json().error.details.issues[0].field).toBe('operation');

    let fetched = 0;
    const bait = createServer((_req, res) => {
      fetched++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    const external = `http://127.0.0.1:${(bait.address() as AddressInfo).port}/schemas.json#/User`;
    const doc = documentFor(`${corpus.url}/reqres/api`).replace("items: { $ref: '#/components/schemas/User' }", `items: { $ref: '${external}' }`);
    const res = await post({ document: doc, operation: 'listUsers' });
    await new Promise((resolve) => bait.close(resolve));
    // The reference stays as it is: the records' fields are not known, and nothing was fetched.
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().proposal.fieldMappings).toEqual([]);
    expect(fetched).toBe(0);
  });
});
