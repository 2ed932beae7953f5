import { describe, expect, it } from 'vitest';
import { unstorableText } from '../db/index.js';
import { random } from '../../test/helpers/random.js';
import { MORE_KEYS, NESTED, redact, REDACTED } from './redact.js';

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

  it('writes NUL and lone surrogates in values and keys as visible escapes', () => {
    expect(redact({ 'k\u0000': 'a\u0000b', list: ['\ud800'], ok: '💥' })).toEqual({ 'k\\u0000': 'a\\u0000b', list: ['\\ud800'], ok: '💥' });
  });

  it('never cuts a surrogate pair into a lone half', () => {
    const out = redact({ s: `${'x'.repeat(499)}💥💥` }) as { s: string };
    expect(unstorableText(out.s)).toBeUndefined();
    expect(out.s).toMatch(/… \(503 chars\)$/);
  });

  it('summarises many keys and a large whole, saying so', () => {
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, i]));
    const out = redact({ many }) as { many: Record<string, unknown> };
    expect(Object.keys(out.many)).toHaveLength(51);
    expect(out.many[MORE_KEYS]).toBe('30 more keys');

    const large = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`k${i}`, 'v'.repeat(500)]));
    const cut = redact(large) as Record<string, unknown>;
    expect(JSON.stringify(cut).length).toBeLessThan(20_000);
    expect(cut[MORE_KEYS]).toMatch(/^\d+ more keys$/);
  });

  it('keeps a __proto__ key as a key, without touching the copy\'s prototype', () => {
    const out = redact(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true}}');
  });

  it('copies any input into storable, bounded JSON without deep recursion', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(JSON.stringify(redact(deep))).toContain(NESTED);
    expect(redact({ big: 10n, inf: Infinity, at: new Date(0), f: () => 1 })).toEqual({ big: '10', inf: 'Infinity', at: '1970-01-01T00:00:00.000Z', f: '[function]' });

    // Random strings of odd code units, as keys and values: the copy is always storable.
    const rnd = random(13);
    const units = [0, 1, 0x22, 0x5c, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffe, 0xffff, 0x41, 0x1f4a5];
    const text = () => String.fromCharCode(...Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => units[Math.floor(rnd() * units.length)]! & 0xffff));
    const texts = (value: unknown): string[] =>
      typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => [k, ...texts(v)]) : [];
    for (let i = 0; i < 500; i++) {
      const out = redact({ [text()]: text(), list: [text(), { [text()]: text() }] });
      expect(texts(out).filter((s) => unstorableText(s) !== undefined), JSON.stringify(out)).toEqual([]);
    }
  });
});
