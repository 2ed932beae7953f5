import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.js';
import { inputIssues, JsonDepthScanner, jsonNestingPastLimit, jsonTooDeep, MAX_JSON_DEPTH, parseJsonBody } from './input-limits.js';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('the JSON depth limit', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonNestingPastLimit(nested(MAX_JSON_DEPTH))).toBe(-1);
    expect(jsonNestingPastLimit(nested(MAX_JSON_DEPTH + 1))).toBe(MAX_JSON_DEPTH);
    expect(jsonNestingPastLimit(`{"a":"${'['.repeat(1000)}","b":"\\"${'{'.repeat(1000)}"}`)).toBe(-1);
    expect(jsonNestingPastLimit('{"a":{"b":[{}]}}', 3)).toBe(11);
  });

  it('follows a body chunk by chunk, escapes and UTF-8 split across chunks included', () => {
    const text = Buffer.from(`{"k\\"[":"é💥\\\\", "deep": ${nested(MAX_JSON_DEPTH)}}`);
    // The root object is the first level: the 64th bracket of `deep` is the 65th.
    const at = text.indexOf('[[') + MAX_JSON_DEPTH - 1;
    for (let cut = 1; cut < text.length; cut++) {
      const scanner = new JsonDepthScanner();
      const first = scanner.push(text.subarray(0, cut));
      expect(first === -1 ? scanner.push(text.subarray(cut)) : first, `cut at ${cut}`).toBe(at);
    }
    const scanner = new JsonDepthScanner();
    for (let i = 0; i < 100_000; i++) if (scanner.push('[') >= 0) return expect(i).toBe(MAX_JSON_DEPTH);
    throw new Error('never refused');
  });

  it('says why a body is not JSON, and refuses an empty one', () => {
    expect(refusal(() => parseJsonBody('{"a": ')).message).toMatch(/^The request body is not valid JSON: /);
    expect(refusal(() => parseJsonBody('')).code).toBe('bad_request');
    expect(jsonTooDeep(70)).toMatchObject({ code: 'json_too_deep', status: 400, message: 'body: the JSON is nested deeper than 64 levels (at byte 70)' });
  });
});

describe('input issues', () => {
  it('names every string PostgreSQL cannot store by its field', () => {
    expect(inputIssues({ id: 'a\u0000' }, 'params')).toEqual([{ field: 'params.id', message: 'contains the NUL character (\\u0000) at position 1, which is not allowed' }]);
    expect(inputIssues({ apiConfig: { headers: { Accept: '\ud800' } }, list: ['ok', 'x\udfff'] }, 'body').map((i) => i.field)).toEqual([
      'body.apiConfig.headers.Accept',
      'body.list.1',
    ]);
    expect(inputIssues('a\u0000', 'body')).toHaveLength(1);
    expect(inputIssues({ fine: ['💥', 1, null, true, { x: 'y' }] }, 'body')).toEqual([]);
  });

  it('names keys with NUL or lone surrogates, and prototype keys', () => {
    const body = JSON.parse('{"a\\u0000": 1, "__proto__": {"polluted": true}, "constructor": {"prototype": {}}, "ok": {"constructor": "a string is fine"}}');
    expect(inputIssues(body, 'body')).toEqual([
      { field: 'body.a\\u0000', message: 'the key contains the NUL character (\\u0000) at position 1, which is not allowed' },
      { field: 'body.__proto__', message: 'a key named __proto__ is not allowed' },
      { field: 'body.constructor', message: 'a key named constructor holding a prototype is not allowed' },
    ]);
  });

  it('walks a deep value with its own stack and lists at most ten issues', () => {
    let deep: unknown = 'bottom\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(inputIssues(deep, 'body')).toHaveLength(1);
    expect(inputIssues(Array.from({ length: 50 }, () => '\u0000'), 'query.x')).toHaveLength(10);
  });
});
