import { describe, expect, it } from 'vitest';
import { redact, REDACTED } from './redact.js';

describe('redact', () => {
  it('masks secret-looking keys at any depth, whatever their case or separators', () => {
    const out = redact({
      email: 'a@b.c',
      password: 'hunter2',
      auth: { type: 'oauth2ClientCredentials', client_secret: 's3', clientId: 'id', 'X-API-Key': 'k' },
      headers: { Authorization: 'Bearer abc' },
      apiKey: 'k2',
    });
    expect(out).toEqual({
      email: 'a@b.c',
      password: REDACTED,
      auth: { type: 'oauth2ClientCredentials', client_secret: REDACTED, clientId: 'id', 'X-API-Key': REDACTED },
      headers: { Authorization: REDACTED },
      apiKey: REDACTED,
    });
  });

  it('masks Sluice tokens inside any string', () => {
    const token = `slk_${'a'.repeat(43)}`;
    expect(redact({ note: `use ${token} please` })).toEqual({ note: `use ${REDACTED} please` });
  });

  it('bounds long strings, long arrays and deep nesting', () => {
    const out = redact({ s: 'x'.repeat(2000), list: Array.from({ length: 60 }, (_, i) => i), deep: { a: { b: { c: { d: { e: { f: 1 } } } } } } }) as {
      s: string;
      list: unknown[];
      deep: unknown;
    };
    expect(out.s.length).toBeLessThan(600);
    expect(out.list).toHaveLength(51);
    expect(JSON.stringify(out.deep)).toContain('[nested]');
  });
});
