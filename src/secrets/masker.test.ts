import { describe, expect, it } from 'vitest';
import { UserError } from '../errors/index.js';
import { MASK, SecretMasker } from './masker.js';

const SECRET = 's3cr3t/T0ken+with=odd&chars é"<';

describe('SecretMasker', () => {
  it('masks a secret in every form a server may echo it', () => {
    const m = new SecretMasker().add(SECRET);
    const forms = [
      SECRET,
      encodeURIComponent(SECRET),
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
      new URLSearchParams({ q: SECRET }).toString().slice(2),
      JSON.stringify(SECRET).slice(1, -1),
      JSON.stringify(SECRET).slice(1, -1).replaceAll('/', '\\/'),
      's3cr3t/T0ken+with=odd&amp;chars é&quot;&lt;',
      Buffer.from(SECRET).toString('base64'),
    ];
    for (const form of forms) expect(m.mask(`before ${form} after`)).toBe(`before ${MASK} after`);
    expect(m.mask(JSON.stringify({ error: `bad token ${SECRET}` }))).not.toContain('T0ken');
  });

  it('masks every occurrence, the longest secret first, and leaves other text alone', () => {
    const m = new SecretMasker().add('abcd').add('abcdefgh');
    expect(m.mask('abcdefgh abcd xabcdx abc')).toBe(`${MASK} ${MASK} x${MASK}x abc`);
  });

  it('ignores values too short to be secrets, and changes nothing when empty', () => {
    const m = new SecretMasker().add('ab').add('').add(undefined).add(null);
    expect(m.empty).toBe(true);
    expect(m.mask('ab abc')).toBe('ab abc');
    const value = { a: ['ab'] };
    expect(m.maskDeep(value)).toBe(value);
  });

  it('masks strings and keys deep inside objects and arrays, without touching the original', () => {
    const m = new SecretMasker().add(SECRET);
    const value = { url: `http://x/?t=${encodeURIComponent(SECRET)}`, list: [{ [SECRET]: SECRET }], n: 3, at: new Date(0), none: null };
    const masked = m.maskDeep(value);
    expect(JSON.stringify(masked)).not.toContain('T0ken');
    expect(masked).toMatchObject({ n: 3, none: null, list: [{ [MASK]: MASK }] });
    expect(masked.at).toBe(value.at);
    expect(value.list[0]![SECRET]).toBe(SECRET);
    const cyclic: Record<string, unknown> = { s: SECRET };
    cyclic.self = cyclic;
    expect((m.maskDeep(cyclic) as { s: string }).s).toBe(MASK);
  });

  it('masks an error in place: message, stack, details and causes, keeping its class and code', () => {
    const m = new SecretMasker().add(SECRET);
    const cause = new Error(`socket said ${SECRET}`);
    const error = new UserError('source_auth_failed', `refused: ${SECRET}`, { cause, details: { body: SECRET, urls: [`/x?${SECRET}`] } });
    const same = m.maskError(error);
    expect(same).toBe(error);
    expect(error).toBeInstanceOf(UserError);
    expect(error.code).toBe('source_auth_failed');
    expect(error.message).toBe(`refused: ${MASK}`);
    expect(error.stack).not.toContain('T0ken');
    expect(error.stack).toContain(`refused: ${MASK}`);
    expect(JSON.stringify(error.details)).not.toContain('T0ken');
    expect(cause.message).toBe(`socket said ${MASK}`);
    expect(cause.stack).not.toContain('T0ken');
  });

  it('masks errors whose message cannot be assigned', () => {
    const m = new SecretMasker().add(SECRET);
    const error = new DOMException(`aborted ${SECRET}`, 'AbortError');
    m.maskError(error);
    expect(error.message).toBe(`aborted ${MASK}`);
  });
});
