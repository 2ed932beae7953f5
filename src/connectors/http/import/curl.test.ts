import { describe, expect, it } from 'vitest';
import { AppError } from '../../../errors/index.js';
import { importCurl } from './curl.js';

describe('importCurl', () => {
  it('reads a documented GET: bearer token, headers and query parameters', async () => {
    const r = await importCurl(`curl -H 'Authorization: Bearer sk_live_abc123' -H "Accept: application/json" 'https://api.example.com/v1/customers?limit=10&status=active'`);
    expect(r.proposal).toEqual({
      name: 'Customers',
      apiConfig: { baseUrl: 'https://api.example.com/v1/customers', method: 'GET', headers: { Accept: 'application/json' }, auth: { type: 'bearer', token: 'sk_live_abc123' } },
      parameters: [
        { name: 'limit', in: 'query', value: '10' },
        { name: 'status', in: 'query', value: 'active' },
      ],
    });
    expect(r.secretFields).toEqual(['apiConfig.auth.token']);
    expect(r.warnings).toEqual([]);
  });

  it('reads -u and Authorization: Basic as HTTP Basic, the password keeping its colons', async () => {
    expect((await importCurl('curl -u ann:pa:ss https://api.example.com/items')).proposal.apiConfig.auth).toEqual({ type: 'basic', username: 'ann', password: 'pa:ss' });
    const basic = Buffer.from('bob:s3cret').toString('base64');
    expect((await importCurl(`curl https://api.example.com/items -H "Authorization: Basic ${basic}"`)).proposal.apiConfig.auth).toEqual({ type: 'basic', username: 'bob', password: 's3cret' });
  });

  it('moves credentials in the address into auth, never leaving them in the URL', async () => {
    const r = await importCurl('curl https://ann:secret@api.example.com/items');
    expect(r.proposal.apiConfig.baseUrl).toBe('https://api.example.com/items');
    expect(r.proposal.apiConfig.auth).toEqual({ type: 'basic', username: 'ann', password: 'secret' });
  });

  it('makes an API key header or query parameter the auth, and seals other credential-like parameters by name', async () => {
    const header = await importCurl(`curl https://api.example.com/items -H 'X-Api-Key: key-1'`);
    expect(header.proposal.apiConfig.auth).toEqual({ type: 'apiKey', in: 'header', name: 'X-Api-Key', value: 'key-1' });
    const query = await importCurl(`curl 'https://api.example.com/items?api_key=key-2&access_token=tok-3&q=x'`);
    expect(query.proposal.apiConfig.auth).toEqual({ type: 'apiKey', in: 'query', name: 'api_key', value: 'key-2' });
    expect(query.proposal.parameters).toEqual([
      { name: 'access_token', in: 'query', value: 'tok-3' },
      { name: 'q', in: 'query', value: 'x' },
    ]);
    expect(query.secretFields).toEqual(['apiConfig.auth.value', 'parameters.0.value']);
  });

  it('reads -X POST with a JSON body (-d, --data-raw, --json)', async () => {
    for (const cmd of [
      `curl -X POST https://api.example.com/graphql -H 'Content-Type: application/json' -d '{"query":"{ items { id } }","variables":{"after":null}}'`,
      `curl https://api.example.com/graphql --data-raw '{"query":"{ items { id } }","variables":{"after":null}}' -H 'content-type: application/json'`,
      `curl https://api.example.com/graphql --json '{"query":"{ items { id } }","variables":{"after":null}}'`,
    ]) {
      const r = await importCurl(cmd);
      expect(r.proposal.apiConfig.method, cmd).toBe('POST');
      expect(r.proposal.apiConfig.body, cmd).toEqual({ query: '{ items { id } }', variables: { after: null } });
    }
  });

  it('names every option it does not carry out, and notes those it does its own way', async () => {
    const r = await importCurl(`curl -k --retry 3 --proxy http://proxy:8080 -o out.json -F file=@a.csv --compressed -L https://api.example.com/items`);
    const options = r.warnings.map((w) => w.option);
    expect(options).toEqual(expect.arrayContaining(['retry', '--proxy', '--output', '--form']));
    expect(r.notes.join(' ')).toMatch(/--compressed/);
    expect(r.notes.join(' ')).toMatch(/--location/);
    expect((await importCurl('curl --insecure https://api.example.com/items')).warnings.map((w) => w.option)).toContain('--insecure');
  });

  it('says why a command cannot be read, naming the field', async () => {
    for (const [cmd, why] of [
      ['wget https://x.example', /start with curl/],
      [`curl 'https://api.example.com/items`, /cannot be read/],
      ['curl -X DELETE https://api.example.com/items/1', /DELETE/],
      ['curl ftp://example.com/file', /ftp/],
    ] as const) {
      let error: unknown;
      try {
        await importCurl(cmd);
      } catch (e) {
        error = e;
      }
      expect(error, cmd).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('curl_invalid');
      expect((error as AppError).message).toMatch(why);
      expect(JSON.stringify((error as AppError).details)).toContain('command');
    }
  });
});
