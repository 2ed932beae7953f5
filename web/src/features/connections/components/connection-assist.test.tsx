// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithApp } from '../../../test-utils';
import { ConnectionBuilder } from './connection-builder';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

/** An API signed in as an editor that answers `routes` by path, and records what it was sent. */
function fakeApi(routes: Record<string, { status: number; body: unknown }>) {
  const sent: { path: string; body: unknown }[] = [];
  const json = (s: number, b: unknown) => new Response(JSON.stringify(b), { status: s, headers: { 'content-type': 'application/json' } });
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const path = new URL(request.url).pathname;
    if (path === '/api/auth/me') return json(200, { role: 'editor', user: { id: 'u1', email: 'e@example.com' }, org: { id: 'default', name: 'Default' } });
    sent.push({ path, body: request.method === 'POST' ? await request.clone().json() : undefined });
    const route = routes[path];
    return route ? json(route.status, route.body) : json(404, { error: { code: 'not_found', message: path } });
  };
  return { fetch, sent };
}

const detection = {
  proposal: {
    name: 'Customers',
    apiConfig: {
      baseUrl: 'https://api.example.com/v1/customers',
      method: 'GET',
      headers: {},
      body: null,
      auth: { type: 'bearer', token: '********' },
      pagination: { type: 'cursor', cursorPath: '$.data[-1].id', cursorParam: 'starting_after', cursorIn: 'query', hasMorePath: '$.has_more' },
      recordsPath: '$.data',
      rateLimit: { concurrency: 1 },
      timeoutMs: 30000,
      retry: { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30000 },
    },
    parameters: [],
    fieldMappings: [
      { source: '$.id', target: 'id', type: 'string', required: false },
      { source: '$.updated_at', target: 'updated_at', type: 'timestamp', required: false },
    ],
    destination: { table: 'customers', writeMode: 'upsert', primaryKey: ['id'] },
    incremental: { cursorField: 'updated_at' },
  },
  findings: {
    recordsPath: { value: '$.data', confidence: 'high', evidence: ['$.data holds 10 objects, under a name APIs give their records (data)'] },
    pagination: {
      value: { type: 'cursor', cursorPath: '$.data[-1].id', cursorParam: 'starting_after', cursorIn: 'query', hasMorePath: '$.has_more' },
      confidence: 'high',
      evidence: ['verified: 3 pages read (10 + 10 + 10 records), each different from the one before and of the same fields'],
    },
    fieldMappings: { value: 2, confidence: 'high', evidence: ['2 fields read from 30 records'] },
    primaryKey: { value: { field: 'id', column: 'id' }, confidence: 'high', evidence: ['id is present, not null and different in each of the 30 records read'] },
    incremental: { value: { cursorField: 'updated_at' }, confidence: 'medium', evidence: ['updated_at is a timestamp in each record read'] },
  },
  questions: [],
  sample: [],
  requests: [],
};

describe('ConnectionAssist in the builder', () => {
  it('Detect sends the Base URL with the typed token, fills the form from the proposal keeping that token, and shows the evidence', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({ '/api/connections/detect': { status: 200, body: detection } });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<ConnectionBuilder />);

    await userEvent.type(await screen.findByLabelText(/^Base URL/), 'https://api.example.com/v1/customers');
    await userEvent.selectOptions(screen.getByLabelText(/^Type/), 'bearer');
    await userEvent.type(screen.getByLabelText(/^Token/), 'sk_live_typed');
    await userEvent.click(await screen.findByRole('button', { name: 'Detect' }));

    const evidence = await screen.findByTestId('detection-evidence');
    expect(evidence.textContent).toContain('verified: 3 pages read');
    expect(evidence.textContent).toContain('high confidence');
    expect(api.sent.find((s) => s.path === '/api/connections/detect')?.body).toMatchObject({
      url: 'https://api.example.com/v1/customers',
      auth: { type: 'bearer', token: 'sk_live_typed' },
    });
    expect((screen.getByLabelText(/^Records path/) as HTMLInputElement).value).toBe('$.data');
    expect((screen.getByLabelText(/^Pagination/) as HTMLSelectElement).value).toBe('cursor');
    expect((screen.getByLabelText(/^Cursor parameter/) as HTMLInputElement).value).toBe('starting_after');
    expect((screen.getByLabelText(/^Primary key/) as HTMLInputElement).value).toBe('id');
    expect((screen.getByLabelText(/^Incremental cursor field/) as HTMLInputElement).value).toBe('updated_at');
    expect((screen.getByLabelText(/^Name/) as HTMLInputElement).value).toBe('Customers');
    // The typed token stays: detection answers ********, which must not replace it.
    expect((screen.getByLabelText(/^Token/) as HTMLInputElement).value).toBe('sk_live_typed');
  });

  it('shows the questions of an undecided detection', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const undecided = {
      ...detection,
      findings: { ...detection.findings, pagination: { value: null, confidence: 'none', evidence: ['page 2 (?page=) repeats page 1'] } },
      questions: [{ about: 'pagination', question: 'The first page holds 20 records, which looks like a page size. Does this API return more than one page?', saw: ['page 2 (?page=) repeats page 1'] }],
    };
    vi.stubGlobal('fetch', fakeApi({ '/api/connections/detect': { status: 200, body: undecided } }).fetch);
    renderWithApp(<ConnectionBuilder />);
    await userEvent.type(await screen.findByLabelText(/^Base URL/), 'https://api.example.com/countries');
    await userEvent.click(await screen.findByRole('button', { name: 'Detect' }));
    const evidence = await screen.findByTestId('detection-evidence');
    expect(evidence.textContent).toContain('Does this API return more than one page?');
    expect(evidence.textContent).toContain('undecided');
  });

  it('fills the request and its credentials from a pasted curl command, naming what it leaves out', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const imported = {
      proposal: {
        name: 'Items',
        apiConfig: { ...detection.proposal.apiConfig, baseUrl: 'https://api.example.com/v1/items', auth: { type: 'bearer', token: 'tok-from-curl' }, pagination: { type: 'none' }, recordsPath: undefined },
        parameters: [{ name: 'limit', in: 'query', value: '10' }],
        fieldMappings: [],
      },
      secretFields: ['apiConfig.auth.token'],
      warnings: [{ option: '--proxy', message: 'Sluice does not send through a proxy; left out' }],
      notes: ['--compressed: Sluice always asks for compressed answers'],
    };
    const api = fakeApi({ '/api/connections/import/curl': { status: 200, body: imported } });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<ConnectionBuilder />);
    const command = "curl -H 'Authorization: Bearer tok-from-curl' --proxy http://p:1 https://api.example.com/v1/items?limit=10";
    await userEvent.click(await screen.findByLabelText(/^Paste a curl command/));
    await userEvent.paste(command);
    await userEvent.click(screen.getByRole('button', { name: 'Fill in from the command' }));

    const warnings = await screen.findByTestId('curl-warnings');
    expect(warnings.textContent).toContain('--proxy');
    expect(api.sent.find((s) => s.path === '/api/connections/import/curl')?.body).toEqual({ command });
    expect((screen.getByLabelText(/^Base URL/) as HTMLInputElement).value).toBe('https://api.example.com/v1/items');
    expect((screen.getByLabelText(/^Token/) as HTMLInputElement).value).toBe('tok-from-curl');
    expect((screen.getByLabelText('Parameter 1 name') as HTMLInputElement).value).toBe('limit');
  });

  it('lists the operations of an OpenAPI document by URL, fills the form from the chosen one, and says what to fill in', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const operations = [
      { key: 'GET /users', operationId: 'listUsers', summary: 'Users', parameters: [] },
      { key: 'GET /users/{id}', operationId: 'getUser', summary: null, parameters: [] },
    ];
    const proposal = {
      name: 'Users',
      apiConfig: { baseUrl: 'https://api.example.com/v1/users', method: 'GET', headers: {}, auth: { type: 'bearer', token: '' }, pagination: { type: 'page', pageParam: 'page', startPage: 1 }, recordsPath: '$.data' },
      parameters: [{ name: 'updated_since', in: 'query', value: '{{ cursor }}' }],
      fieldMappings: [{ source: '$.id', target: 'id', type: 'integer', required: false }],
      destination: { table: 'users', writeMode: 'upsert', primaryKey: ['id'] },
      incremental: { cursorField: 'updated_at' },
    };
    let calls = 0;
    const api = fakeApi({});
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(input, init);
      if (new URL(request.url).pathname !== '/api/connections/import/openapi') return api.fetch(input, init);
      const body = (await request.clone().json()) as { operation?: string };
      calls++;
      const answer = body.operation ? { operations, proposal, findings: {}, needs: [{ field: 'apiConfig.auth.token', message: 'the token' }] } : { operations };
      return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    vi.stubGlobal('fetch', fetch);
    renderWithApp(<ConnectionBuilder />);
    await userEvent.click(await screen.findByLabelText(/^Or an OpenAPI document/));
    await userEvent.paste('https://api.example.com/openapi.json');
    await userEvent.click(screen.getByRole('button', { name: 'List its operations' }));
    const select = (await screen.findByLabelText(/^Operation/)) as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['GET /users', 'GET /users/{id}']);
    await userEvent.click(screen.getByRole('button', { name: 'Fill in from the operation' }));

    expect((await screen.findByTestId('openapi-needs')).textContent).toContain('apiConfig.auth.token: the token');
    expect(calls).toBe(2);
    expect((screen.getByLabelText(/^Base URL/) as HTMLInputElement).value).toBe('https://api.example.com/v1/users');
    expect((screen.getByLabelText(/^Records path/) as HTMLInputElement).value).toBe('$.data');
    expect((screen.getByLabelText('Parameter 1 value') as HTMLInputElement).value).toBe('{{ cursor }}');
    expect((screen.getByLabelText(/^Pagination/) as HTMLSelectElement).value).toBe('page');
  });
});
