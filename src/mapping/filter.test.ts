import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, parseFilter, serializeFilter, test, type FilterScope } from './filter.js';

const scope = (current: unknown, root: unknown = {}, property: unknown = 0): FilterScope => ({ current, root, property });
const accepts = (filter: string, current: unknown, root?: unknown): boolean => test(parseFilter(filter), scope(current, root));

describe('filter expressions', () => {
  it('serialises to text that parses back to the same tree', () => {
    for (const text of [
      '@.a == 1',
      "@['odd key'][0] != 'x'",
      '!(@.a < 2) || (@.b >= -3.5 && @root.c == null)',
      '@property == "k"',
      `@.s == "quote ' and \\" and )] and \\u00e9"`,
      '@.flag',
      'true',
    ]) {
      const tree = parseFilter(text);
      const canonical = serializeFilter(tree);
      expect(parseFilter(canonical), text).toEqual(tree);
      // jsonpath-plus ends a filter at the first `)]` or `)'`; the canonical text has neither inside.
      expect(canonical, text).not.toMatch(/\)[\]']/);
    }
  });

  it('reads the names jsonpath-plus substitutes for @, @root and @property', () => {
    expect(parseFilter('_$_v.a == _$_root.b')).toEqual(parseFilter('@.a == @root.b'));
    expect(parseFilter('_$_property == 1')).toEqual(parseFilter('@property == 1'));
  });

  it('compares structurally and without conversion', () => {
    expect(accepts('@.a == @root.a', { a: { x: [1, 2] } }, { a: { x: [1, 2] } })).toBe(true);
    expect(accepts('@.a == @root.a', { a: { x: [1, 2] } }, { a: { x: [2, 1] } })).toBe(false);
    expect(accepts('@.a == @root.a', { a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(accepts("@.n == '1'", { n: 1 })).toBe(false);
    expect(accepts('@.n < 10', { n: '9' })).toBe(false);
    expect(accepts("@.s < 'b'", { s: 'a' })).toBe(true);
    expect(accepts('@.missing != 1', {})).toBe(true);
    expect(accepts('@.missing == null', {})).toBe(false);
  });

  it('counts 0 and "" as present and null or false as absent', () => {
    expect(accepts('@.v', { v: 0 })).toBe(true);
    expect(accepts('@.v', { v: '' })).toBe(true);
    expect(accepts('@.v', { v: null })).toBe(false);
    expect(accepts('@.v', { v: false })).toBe(false);
    expect(accepts('@.v', {})).toBe(false);
  });

  it('reads own properties only', () => {
    expect(accepts('@.constructor', {})).toBe(false);
    expect(accepts('@.toString', 'text')).toBe(false);
    expect(accepts('@.length == 4', 'text')).toBe(true);
    expect(accepts('@[-1] == 3', [1, 2, 3])).toBe(true);
  });

  it('refuses deep nesting instead of overflowing the stack', () => {
    expect(() => parseFilter(`${'('.repeat(1000)}@.a${')'.repeat(1000)}`)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(`${'!'.repeat(1000)}@.a`)).toThrow('nested too deeply');
  });

  it('refuses trailing text', () => {
    expect(() => parseFilter('@.a == 1 2')).toThrow('unexpected "2"');
  });
});
