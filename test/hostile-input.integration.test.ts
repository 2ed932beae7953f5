import { existsSync, readdirSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { bearer, createTestApp, waitForDagRun, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { hostileCases, operationsOf, type HostileCase, type Operation, type SampleHints } from './helpers/hostile-input.js';
import { multipart } from './helpers/multipart.js';
import { random } from './helpers/random.js';

/**
 * Issue 13, items 4 and 5: every route of the served OpenAPI document, called
 * by an authenticated admin with hostile variants of its input (NUL and lone
 * surrogates in every path parameter, query value, JSON string and key;
 * prototype keys; wrong types; huge strings; deep nesting; broken multipart
 * for the upload, over inject and over a real socket), answers without a 5xx,
 * in the error shape with a registered code, naming the field; and the audit
 * trail holds exactly one event for each audited request. On both databases:
 * PGlite and the server do not refuse the same strings.
 */
const SEED = 0x5eed13;
const AIRFLOW_TOKEN = 'fuzz-airflow-callback-token-of-forty-characters';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes that take no user token, where the org guard (which checks a user's organisation) does not run. */
const WITHOUT_ORG_GUARD = (url: string) => url.startsWith('/api/auth/login') || url.startsWith('/api/health') || url.startsWith('/api/airflow/tasks/');

interface Sent {
  id: string;
  label: string;
  method: string;
  url: string;
  /** The status answered, or undefined when the client closed before any answer. */
  status: number | undefined;
}

describeEachDatabase('hostile input on every route', (fx) => {
  let t: TestApp;
  let api: FakeApi;
  let ops: Operation[];
  const sent: Sent[] = [];
  let serial = 0;
  const nextId = (kind: string) => `fuzz-${kind}-${++serial}`;

  let hints: SampleHints;

  /** Resources for the operations to act on, so that their variants reach the handlers and the database. */
  async function fixtures(): Promise<SampleHints> {
    const admin = bearer(t.adminToken);
    const post = async <T>(url: string, payload: object): Promise<T> => {
      const res = await t.app.inject({ method: 'POST', url, headers: admin, payload });
      expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(300);
      return res.json<T>();
    };
    const connection = {
      id: 'fuzz_conn',
      name: 'Fuzzed users',
      apiConfig: { baseUrl: `${api.url}/users`, timeoutMs: 5000, retry: { maxAttempts: 1 } },
      fieldMappings: [{ source: '$.id', target: 'id', type: 'integer' }],
      destination: { table: 'fuzz_users', writeMode: 'upsert', primaryKey: ['id'] },
    };
    await post('/api/connections', connection);
    const user = await post<{ id: string }>('/api/users', { email: 'fuzz-target@example.com', password: 'fuzz-password-1', role: 'viewer' });
    const token = await post<{ id: string }>('/api/tokens', { name: 'fuzz target' });
    const target = await post<{ id: string }>('/api/notifications', { kind: 'webhook', url: `${api.url}/users`, events: ['run.failed'] });
    const run = await post<{ runId: string; dagId: string }>('/api/execute-run', { connectionId: 'fuzz_conn' });
    // The schedule is another connection's: fuzz_conn stays free for the schedule POST /api/scheduler creates.
    await post('/api/connections', { ...connection, id: 'fuzz_scheduled' });
    const schedule = await post<{ scheduleId: string }>('/api/scheduler', { connectionId: 'fuzz_scheduled', scheduleType: 'daily', cronExpression: '0 9 * * *' });
    // An uploaded file, landed and loaded into a table: the engine runs for this and stops, so that nothing runs behind the fuzz.
    t.services.engine.start();
    const upload = multipart({ table: 'fuzz_stock' }, { name: 'stock.csv', content: 'sku,qty\nA-1,1\nA-2,2\n' });
    const uploaded = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin, ...upload.headers }, payload: upload.payload });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const { file_id: fileId, dag_run_id: ingestRunId } = uploaded.json<{ file_id: string; dag_run_id: string }>();
    await waitForDagRun(t.app, 'enhanced_org_aware_ingest_dag', ingestRunId, t.adminToken);
    for (let i = 0; i < 300 && (await t.services.files.get('default', fileId)).status !== 'loaded'; i++) await new Promise((r) => setTimeout(r, 100));
    await t.services.engine.stop();
    return {
      sourceUrl: `${api.url}/users`,
      orgId: 'default',
      values: {
        connectionId: 'fuzz_conn',
        workflowConfig: { ...connection, id: undefined, connectionId: 'fuzz_conn' },
        recordsPath: '$',
        target: 'id',
        primaryKey: ['id'],
        cursorField: 'id',
        table: 'fuzz_stock',
        file_id: fileId,
        dag_id: 'enhanced_org_aware_ingest_dag',
        dag_run_id: ingestRunId,
        task_id: 'land_raw',
        dagId: 'enhanced_org_aware_ingest_dag',
      },
      pathIds: {
        '/api/users/{id} id': user.id,
        '/api/tokens/{id} id': token.id,
        '/api/connections/{id} id': 'fuzz_conn',
        '/api/connections/{id}/preview id': 'fuzz_conn',
        '/api/notifications/{id} id': target.id,
        '/api/notifications/{id}/test id': target.id,
        '/api/runs/{id} id': run.runId,
        '/api/runs/{id}/logs id': run.runId,
        '/api/runs/{id}/cancel id': run.runId,
        '/api/runs/{id}/retry id': run.runId,
        '/api/scheduler/{id} id': schedule.scheduleId,
        '/api/files/{id}/ id': fileId,
        '/api/tables/{table}/rows table': 'fuzz_stock',
        '/api/tables/{table}/rejected table': 'fuzz_stock',
        '/api/airflow/status/{dagId}/ dagId': 'enhanced_org_aware_ingest_dag',
        '/api/airflow/status/{dagId}/{dagRunId}/ dagId': 'enhanced_org_aware_ingest_dag',
        '/api/airflow/status/{dagId}/{dagRunId}/ dagRunId': ingestRunId,
        '/api/airflow/tasks/{dagId}/{runId}/{taskId}/{tryNumber}/ dagId': 'enhanced_org_aware_ingest_dag',
        '/api/airflow/tasks/{dagId}/{runId}/{taskId}/{tryNumber}/ runId': ingestRunId,
        '/api/airflow/tasks/{dagId}/{runId}/{taskId}/{tryNumber}/ taskId': 'land_raw',
      },
    };
  }

  beforeAll(async () => {
    t = await createTestApp(fx, { SLUICE_AIRFLOW_TOKEN: AIRFLOW_TOKEN, SLUICE_LOGIN_MAX_FAILURES: '1000', SLUICE_MAX_UPLOAD_MB: '1' });
    api = await startFakeApi({ users: 3 });
    const doc = await t.app.inject({ url: '/api/openapi.json' });
    ops = operationsOf(doc.json());
    hints = await fixtures();
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });

  /** Problems with one answer: a 5xx, or an error not in the contract's shape with a registered code. */
  const problemsOf = (label: string, status: number, body: string): string[] => {
    if (status >= 500) return [`${label}: ${status} ${body.slice(0, 300)}`];
    if (status < 400) return [];
    let parsed: { error?: { code?: unknown; message?: unknown } };
    try {
      parsed = JSON.parse(body);
    } catch {
      return [`${label}: ${status} answer is not JSON: ${body.slice(0, 200)}`];
    }
    const code = parsed.error?.code;
    if (typeof code !== 'string' || !(code in ERROR_CODES) || typeof parsed.error?.message !== 'string' || !parsed.error.message) {
      return [`${label}: ${status} answer is not {"error": {"code", "message"}} with a registered code: ${body.slice(0, 200)}`];
    }
    return [];
  };

  const tokenFor = async (c: HostileCase): Promise<string> => {
    if (c.url.startsWith('/api/airflow/tasks/')) return AIRFLOW_TOKEN;
    // Logging out revokes the token it is sent with: each logout gets a token of its own.
    if (c.op.path === '/api/auth/logout') return (await t.services.tokens.issue('default', { kind: 'api', name: 'fuzz logout', role: 'admin' })).token;
    return t.adminToken;
  };

  it('answers every hostile variant of every route without a 5xx, in the error shape, naming the field', async () => {
    expect(ops.length).toBeGreaterThan(30);
    const rnd = random(SEED);
    const sampleSerial = { n: 0 };
    const failures: string[] = [];
    let count = 0;
    for (const op of ops) {
      for (const c of hostileCases(op, hints, rnd, sampleSerial)) {
        const id = nextId('route');
        const res = await t.app.inject({
          method: c.method as 'GET',
          url: c.url,
          headers: { ...bearer(await tokenFor(c)), 'x-request-id': id, ...c.headers },
          ...(c.payload === undefined ? {} : { payload: c.payload }),
        });
        count++;
        sent.push({ id, label: c.label, method: c.method, url: c.url, status: res.statusCode });
        failures.push(...problemsOf(c.label, res.statusCode, res.body));
        if (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 401) {
          const error = res.json<{ error: { code: string; message: string } }>().error;
          if (c.expectCode && error.code !== c.expectCode) failures.push(`${c.label}: expected ${c.expectCode}, got ${res.statusCode} ${res.body.slice(0, 200)}`);
          const checkField = c.expectField && !(c.orgGuard && WITHOUT_ORG_GUARD(c.url));
          if (checkField && (res.statusCode !== 400 || error.code !== 'validation_failed' || !error.message.includes(c.expectField!))) {
            failures.push(`${c.label}: expected 400 validation_failed naming ${c.expectField}, got ${res.statusCode} ${res.body.slice(0, 300)}`);
          }
        } else if ((c.expectField && !(c.orgGuard && WITHOUT_ORG_GUARD(c.url))) || c.expectCode) {
          if (res.statusCode !== 401) failures.push(`${c.label}: expected a refusal, got ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(1000);
  }, 900_000);

  /** A multipart upload with a hand-written body. */
  const rawUpload = (body: string | Buffer, contentType: string) => ({ headers: { 'content-type': contentType }, payload: Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1') });
  const B = 'fuzzboundary';
  const part = (name: string, value: string, filename?: string) =>
    `--${B}\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}\r\n${filename === undefined ? '' : 'Content-Type: text/csv\r\n'}\r\n${value}\r\n`;
  const CSV = 'sku,qty\nA-1,1\nA-2,2\n';

  const uploadCases = (): { label: string; upload: { headers: Record<string, string>; payload: Buffer }; expect: number[] }[] => [
    { label: 'as documented', upload: multipart({ table: 'fuzz_stock' }, { name: 'stock.csv', content: CSV }), expect: [201] },
    { label: 'no boundary', upload: rawUpload(part('table', 't') + part('file', CSV, 'a.csv') + `--${B}--\r\n`, 'multipart/form-data'), expect: [400] },
    { label: 'wrong boundary', upload: rawUpload(part('table', 't') + part('file', CSV, 'a.csv') + `--${B}--\r\n`, 'multipart/form-data; boundary=other'), expect: [400] },
    { label: 'boundary of 300 characters', upload: rawUpload(part('table', 't'), `multipart/form-data; boundary=${'b'.repeat(300)}`), expect: [400] },
    { label: 'no closing boundary', upload: rawUpload(part('table', 't') + part('file', CSV, 'a.csv'), `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'cut inside the file', upload: rawUpload(part('table', 't') + part('file', CSV, 'a.csv').slice(0, -12), `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'cut inside a part header', upload: rawUpload(`${part('table', 't')}--${B}\r\nContent-Dispo`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'garbage', upload: rawUpload('\u0000\u0001garbage\r\n\r\n', `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'empty body', upload: rawUpload('', `multipart/form-data; boundary=${B}`), expect: [400, 422] },
    { label: 'no file part', upload: rawUpload(part('table', 't') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [422] },
    { label: 'file in another field', upload: rawUpload(part('table', 't') + part('data', CSV, 'a.csv') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'two files', upload: rawUpload(part('table', 't') + part('file', CSV, 'a.csv') + part('file', 'x,y\n1,2\n', 'b.csv') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'too many parts', upload: rawUpload(Array.from({ length: 14 }, (_, i) => part(`f${i}`, 'v')).join('') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'field longer than allowed', upload: rawUpload(part('table', 't'.repeat(20_000)) + part('file', CSV, 'a.csv') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [422] },
    { label: 'NUL in the table', upload: rawUpload(part('table', 'a\u0000b') + part('file', CSV, 'a.csv') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'NUL in primary_key', upload: rawUpload(part('table', 'fuzz_nul') + part('write_mode', 'upsert') + part('primary_key', 'sku\u0000') + part('file', CSV, 'a.csv') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'NUL in the file name', upload: rawUpload(part('table', 'fuzz_name') + part('file', CSV, 'a\u0000.csv') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: '__proto__ field', upload: rawUpload(part('__proto__', 'x') + part('table', 't') + part('file', CSV, 'a.csv') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'JSON field that is not JSON', upload: rawUpload(`--${B}\r\nContent-Disposition: form-data; name="table"\r\nContent-Type: application/json\r\n\r\n{"a":\r\n` + part('file', CSV, 'a.csv') + `--${B}--\r\n`, `multipart/form-data; boundary=${B}`), expect: [400] },
    { label: 'larger than allowed', upload: multipart({ table: 'fuzz_big' }, { name: 'big.csv', content: Buffer.alloc(1024 * 1024 + 10, 'a') }), expect: [413] },
    { label: 'not multipart', upload: rawUpload('table=t', 'application/x-www-form-urlencoded'), expect: [415] },
    { label: 'JSON instead', upload: rawUpload('{"table":"t"}', 'application/json'), expect: [415] },
  ];

  const uploadTmp = () => path.join(t.services.config.uploads.dir, 'tmp');
  const leftovers = () => (existsSync(uploadTmp()) ? readdirSync(uploadTmp()) : []);

  it('refuses malformed uploads with a code and keeps nothing of them', async () => {
    const failures: string[] = [];
    const accepted = new Set<string>();
    for (const c of uploadCases()) {
      const id = nextId('upload');
      const res = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...bearer(t.adminToken), 'x-request-id': id, ...c.upload.headers }, payload: c.upload.payload });
      sent.push({ id, label: `upload: ${c.label}`, method: 'POST', url: '/api/files/', status: res.statusCode });
      failures.push(...problemsOf(`upload: ${c.label}`, res.statusCode, res.body));
      if (!c.expect.includes(res.statusCode)) failures.push(`upload: ${c.label}: expected ${c.expect.join(' or ')}, got ${res.statusCode} ${res.body.slice(0, 300)}`);
      if (res.statusCode === 201) accepted.add(res.json<{ file_id: string }>().file_id);
    }
    expect(failures).toEqual([]);
    const files = await t.services.files.list('default', { limit: 1000 });
    expect(files.map((f) => f.fileId).sort()).toEqual([...accepted].sort());
    expect(leftovers()).toEqual([]);
  });

  /** Sends raw bytes over a socket; `then` says how the client stops: waits for the answer, half-closes, or drops the connection. */
  const overSocket = (port: number, head: string, body: Buffer, then: 'answer' | 'end' | 'destroy', hangUpWhen: () => Promise<unknown> = async () => {}): Promise<string> =>
    new Promise((resolve) => {
      let answer = '';
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]), () => {
          if (then === 'end') socket.end();
          if (then === 'destroy') void hangUpWhen().then(() => socket.destroy());
        });
      });
      socket.on('data', (d) => (answer += d.toString('utf8')));
      socket.on('error', () => {});
      socket.on('close', () => resolve(answer));
    });

  const auditCount = async (id: string): Promise<number> => {
    await t.services.audit.flush();
    const { rows } = await t.services.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE request_id = $1', [id]);
    return Number(rows[0]!.n);
  };
  /** The audit event is written once the server has finished with the request, which a client that hung up does not see. */
  const untilAudited = async (id: string): Promise<void> => {
    for (let i = 0; i < 600 && (await auditCount(id)) === 0; i++) await new Promise((r) => setTimeout(r, 50));
  };

  it('over a real socket: a truncated upload or a client that hangs up answers no 5xx, keeps nothing and is audited once', { timeout: 180_000 }, async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as AddressInfo).port;
    const body = Buffer.from(part('table', 'fuzz_socket') + part('file', CSV.repeat(2000), 'a.csv') + `--${B}--\r\n`, 'latin1');
    const head = (id: string, extra: string) =>
      `POST /api/files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.adminToken}\r\nX-Request-Id: ${id}\r\nContent-Type: multipart/form-data; boundary=${B}\r\n${extra}\r\n`;
    const half = body.subarray(0, Math.floor(body.length / 2));
    const cases: { label: string; head: (id: string) => string; body: Buffer; then: 'answer' | 'end' | 'destroy' }[] = [
      { label: 'Content-Length longer than the body, client hangs up', head: (id) => head(id, `Content-Length: ${body.length}\r\n`), body: half, then: 'destroy' },
      { label: 'Content-Length longer than the body, client half-closes', head: (id) => head(id, `Content-Length: ${body.length}\r\n`), body: half, then: 'end' },
      { label: 'chunked, cut before the last chunk, client half-closes', head: (id) => head(id, 'Transfer-Encoding: chunked\r\n'), body: Buffer.concat([Buffer.from(`${half.length.toString(16)}\r\n`), half, Buffer.from('\r\n')]), then: 'end' },
      { label: 'chunked, cut before the last chunk, client hangs up', head: (id) => head(id, 'Transfer-Encoding: chunked\r\n'), body: Buffer.concat([Buffer.from(`${half.length.toString(16)}\r\n`), half, Buffer.from('\r\n')]), then: 'destroy' },
      { label: 'whole body without its closing boundary', head: (id) => head(id, `Content-Length: ${body.length - 16}\r\nConnection: close\r\n`), body: body.subarray(0, body.length - 16), then: 'answer' },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const id = nextId('socket');
      const answer = await overSocket(port, c.head(id), c.body, c.then);
      await untilAudited(id);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      sent.push({ id, label: `socket: ${c.label}`, method: 'POST', url: '/api/files/', status: status === undefined ? undefined : Number(status) });
      if (status) failures.push(...problemsOf(`socket: ${c.label}`, Number(status), answer.slice(answer.indexOf('\r\n\r\n') + 4)));
      const { rows } = await t.services.db.query<{ status: number | null; error_code: string | null }>('SELECT status, error_code FROM audit_events WHERE request_id = $1', [id]);
      if (rows.length !== 1) failures.push(`socket: ${c.label}: ${rows.length} audit events`);
      else if (rows[0]!.status === null || rows[0]!.status >= 500) failures.push(`socket: ${c.label}: audited as ${rows[0]!.status} ${rows[0]!.error_code}`);
    }
    expect(failures).toEqual([]);
    expect((await t.services.files.list('default', { table: 'fuzz_socket' })).length).toBe(0);
    expect(leftovers()).toEqual([]);

    // A caller that gives up waiting for its run, once the run exists: the run was started, and the trail says so.
    const created = await t.app.inject({ method: 'POST', url: '/api/connections', headers: bearer(t.adminToken), payload: { name: 'waited', apiConfig: { baseUrl: `${api.url}/users` } } });
    expect(created.statusCode, created.body).toBe(201);
    const connectionId = created.json<{ id: string }>().id;
    const json = Buffer.from(JSON.stringify({ connectionId }));
    const runStarted = async () => {
      for (let i = 0; i < 600 && (await t.services.runs.list('default', { connectionId, limit: 1 })).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    };
    const executeHead = (id: string) =>
      `POST /api/execute-run?wait=true&timeoutSeconds=600 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.adminToken}\r\nX-Request-Id: ${id}\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n`;
    const waited = nextId('socket');
    await overSocket(port, executeHead(waited), json, 'destroy', runStarted);
    await untilAudited(waited);
    sent.push({ id: waited, label: 'socket: execute-run, client hangs up while waiting', method: 'POST', url: '/api/execute-run', status: undefined });
    const { rows } = await t.services.db.query<{ action: string; target: string | null; status: number }>('SELECT action, target, status FROM audit_events WHERE request_id = $1', [waited]);
    expect(rows).toEqual([{ action: 'run.execute', target: expect.stringMatching(/^run:/), status: 202 }]);

    // One that hangs up at once: whether the server got to start the run or not, the attempt is in the trail once.
    const atOnce = nextId('socket');
    await overSocket(port, executeHead(atOnce), json, 'destroy');
    await untilAudited(atOnce);
    sent.push({ id: atOnce, label: 'socket: execute-run, client hangs up at once', method: 'POST', url: '/api/execute-run', status: undefined });
    expect(await auditCount(atOnce)).toBe(1);
  });

  it('holds exactly one audit event for each audited request, none for the others, and lost none', async () => {
    expect(sent.length).toBeGreaterThan(1000);
    await t.services.audit.flush();
    const { rows } = await t.services.db.query<{ request_id: string; n: string }>(
      "SELECT request_id, count(*) AS n FROM audit_events WHERE request_id LIKE 'fuzz-%' GROUP BY request_id",
    );
    const counts = new Map(rows.map((r) => [r.request_id, Number(r.n)]));
    const wrong = sent
      .map((s) => {
        const audited = s.url.startsWith('/api/') && (MUTATING.has(s.method) || s.status === 401 || s.status === 403);
        const n = counts.get(s.id) ?? 0;
        return n === (audited ? 1 : 0) ? undefined : `${s.label} (${s.method} ${s.url.slice(0, 120)} → ${s.status}): ${n} audit events`;
      })
      .filter(Boolean);
    expect(wrong).toEqual([]);
    expect(t.services.audit.failedWrites).toBe(0);
  });

  it('keeps odd strings visibly escaped and huge or deep inputs cut with a marker', async () => {
    const id = nextId('marker');
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, 'v'.repeat(400)]));
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: { ...bearer(t.adminToken), 'x-request-id': id, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'n\u0000\ud800', deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } }, long: 'l'.repeat(100_000), many }),
    });
    expect(res.statusCode).toBe(400);
    await t.services.audit.flush();
    const { rows } = await t.services.db.query<{ input: { body: Record<string, unknown> } }>('SELECT input FROM audit_events WHERE request_id = $1', [id]);
    expect(rows).toHaveLength(1);
    const body = rows[0]!.input.body;
    expect(body.name).toBe('n\\u0000\\ud800');
    expect(JSON.stringify(body.deep)).toContain('[nested]');
    expect(body.long).toMatch(/… \(100000 chars\)$/);
    expect(Object.keys(body.many as object).length).toBeLessThanOrEqual(51);
    expect(JSON.stringify(body).length).toBeLessThan(40_000);
    expect(JSON.stringify(body.many)).toMatch(/more keys/);
  });
});
