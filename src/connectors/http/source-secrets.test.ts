import { describe, expect, it } from 'vitest';
import { SecretMasker } from '../../secrets/index.js';
import { ApiConfig, Parameter } from './config.schema.js';
import { registerSourceSecrets } from './source-secrets.js';

const source = (apiConfig: Record<string, unknown>, parameters: Record<string, unknown>[] = []) => ({
  apiConfig: ApiConfig.parse({ baseUrl: 'https://api.example.com/items', ...apiConfig }),
  parameters: parameters.map((p) => Parameter.parse(p)),
});

const masked = (config: ReturnType<typeof source>, text: string) => {
  const masker = new SecretMasker();
  registerSourceSecrets(masker, config);
  return masker.mask(text);
};

describe('registerSourceSecrets', () => {
  it('registers every secret field of auth, and the Basic credentials as they are sent', () => {
    expect(masked(source({ auth: { type: 'bearer', token: 'tok-123456' } }), 'got tok-123456')).toBe('got ********');
    const basic = source({ auth: { type: 'basic', username: 'svc', password: 'pw:9876' } });
    expect(masked(basic, `pw:9876 ${Buffer.from('svc:pw:9876').toString('base64')} svc`)).toBe('******** ******** svc');
    expect(masked(source({ auth: { type: 'apiKey', in: 'query', name: 'key', value: 'k-abcdef' } }), 'key=k-abcdef')).toBe('key=********');
    const oauth = source({ auth: { type: 'oauth2ClientCredentials', tokenUrl: 'https://id.example.com/token', clientId: 'app id', clientSecret: 's/cret+1' } });
    const sentAsBasic = Buffer.from(`${encodeURIComponent('app id')}:${encodeURIComponent('s/cret+1')}`).toString('base64');
    expect(masked(oauth, `s/cret+1 ${encodeURIComponent('s/cret+1')} ${sentAsBasic} app id`)).toBe('******** ******** ******** app id');
  });

  it('registers credential-looking headers and parameters, with and without their scheme, and leaves the others', () => {
    const config = source({ headers: { 'X-Auth-Token': 'Token abc-9999', Accept: 'text/csv-9999' } }, [
      { name: 'api_key', in: 'query', value: 'q-55555' },
      { name: 'page', in: 'query', value: 'page-77777' },
    ]);
    expect(masked(config, 'Token abc-9999 / abc-9999 / q-55555 / text/csv-9999 / page-77777')).toBe('******** / ******** / ******** / text/csv-9999 / page-77777');
  });

  it('registers credentials a stored base URL carries: its user info and credential-looking query values', () => {
    const config = source({ baseUrl: 'https://user:p%40ss-word@api.example.com/items?token=t-424242&page=2' });
    expect(masked(config, 'p@ss-word p%40ss-word t-424242 user page=2')).toBe('******** ******** ******** user page=2');
    expect(masked(config, Buffer.from('user:p@ss-word').toString('base64'))).toBe('********');
  });

  it('registers credential-looking values of a JSON request body, however deep, and leaves the others', () => {
    const config = source({ method: 'POST', body: { query: 'q-keep-1111', auth: { client_secret: 'cs-8888', list: [{ apiKey: 'ak-7777' }] }, page: 'p-keep-2222' } });
    expect(masked(config, 'cs-8888 ak-7777 q-keep-1111 p-keep-2222')).toBe('******** ******** q-keep-1111 p-keep-2222');
  });
});
