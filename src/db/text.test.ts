import { describe, expect, it } from 'vitest';
import { storableJson, storableText, unstorableText } from './text.js';

describe('what PostgreSQL cannot store', () => {
  it('finds NUL and lone surrogates, and says where', () => {
    expect(unstorableText('plain')).toBeUndefined();
    expect(unstorableText('a\u0000b')).toBe('the NUL character (\\u0000) at position 1');
    expect(unstorableText('ab\ud800')).toBe('a lone UTF-16 surrogate (\\ud800) at position 2');
    expect(unstorableText('\udc00x')).toBe('a lone UTF-16 surrogate (\\udc00) at position 0');
    // A pair is one character (an emoji), not two lone halves; other odd characters are storable.
    expect(unstorableText('💥\ud83d\udca5\uffff\u200b\u0001')).toBeUndefined();
  });

  it('escapes exactly those, as visible JSON escapes', () => {
    expect(storableText('a\u0000b')).toBe('a\\u0000b');
    expect(storableText('\ud800\udc00')).toBe('\ud800\udc00');
    expect(storableText('\udc00\ud800')).toBe('\\udc00\\ud800');
    expect(storableText('x\ud83dy')).toBe('x\\ud83dy');
    expect(storableText('same')).toBe('same');
    expect(unstorableText(storableText('\u0000\ud800\udfff\udc00'))).toBeUndefined();
  });

  it('writes JSON jsonb accepts, keeping NUL and lone surrogates in strings and keys visible', () => {
    const value = { 'k\u0000': ['a\u0000b', 'x\ud800', '\\u0000 already text', 'pair 💥', '\\\u0000'], n: 1 };
    const json = storableJson(value)!;
    expect(json).not.toMatch(/(?<!\\)(?:\\\\)*\\u(0000|d[89a-f])/i);
    expect(JSON.parse(json)).toEqual({ 'k\\u0000': ['a\\u0000b', 'x\\ud800', '\\u0000 already text', 'pair 💥', '\\\\u0000'], n: 1 });
    expect(storableJson({ plain: 'text' })).toBe('{"plain":"text"}');
    expect(storableJson(undefined)).toBeUndefined();
  });
});
