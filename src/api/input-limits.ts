import { storableText, unstorableText } from '../db/index.js';
import { UserError, validationFailed, type FieldIssue } from '../errors/index.js';

/**
 * The limits every request's input meets before a route sees it (wired in
 * plugins/input-limits.plugin.ts): JSON no deeper than MAX_JSON_DEPTH, and
 * no string or key PostgreSQL cannot store (NUL, lone surrogates) nor a
 * prototype key, anywhere in the path parameters, the query or the body.
 */

/** The deepest nesting of arrays and objects a JSON body may have; legitimate configurations use a handful of levels. */
export const MAX_JSON_DEPTH = 64;

/** How many bad fields one answer lists. */
const MAX_ISSUES = 10;

/**
 * Follows the nesting of a JSON text as it arrives, chunk by chunk, as bytes
 * or characters alike: the only characters it looks at (`"` `\` `[` `]` `{`
 * `}`) are ASCII, never part of a UTF-8 multi-byte sequence. A scan, not a
 * parse: nothing recursive runs on a body before it passes, and a hostile one
 * is refused at its 65th bracket, not after its last byte.
 */
export class JsonDepthScanner {
  #depth = 0;
  #inString = false;
  #escaped = false;
  #offset = 0;

  constructor(private readonly max = MAX_JSON_DEPTH) {}

  /** The offset in the whole text at which nesting first passes the limit, or -1 while it has not. */
  push(chunk: Buffer | string): number {
    const bytes = typeof chunk !== 'string';
    for (let i = 0; i < chunk.length; i++) {
      const c = bytes ? (chunk as Buffer)[i]! : (chunk as string).charCodeAt(i);
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === 0x5c /* \ */) this.#escaped = true;
        else if (c === 0x22 /* " */) this.#inString = false;
      } else if (c === 0x22) {
        this.#inString = true;
      } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
        if (++this.#depth > this.max) return this.#offset + i;
      } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
        this.#depth--;
      }
    }
    this.#offset += chunk.length;
    return -1;
  }
}

/** The offset at which `text` nests deeper than `max`, or -1 (JsonDepthScanner on a whole text). */
export const jsonNestingPastLimit = (text: string, max = MAX_JSON_DEPTH): number => new JsonDepthScanner(max).push(text);

/** The refusal of a body nested deeper than MAX_JSON_DEPTH, at `offset`. */
export const jsonTooDeep = (offset: number): UserError =>
  new UserError('json_too_deep', `body: the JSON is nested deeper than ${MAX_JSON_DEPTH} levels (at byte ${offset})`, {
    details: { issues: [{ field: 'body', message: `nested deeper than ${MAX_JSON_DEPTH} levels` }], maxDepth: MAX_JSON_DEPTH },
  });

/**
 * Parses a JSON request body whose depth JsonDepthScanner has checked as it
 * arrived; text that is not JSON is 400 `bad_request` with the parser's
 * reason.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw new UserError('bad_request', 'The request body is empty but its Content-Type is JSON: send a JSON document, or no Content-Type');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError('bad_request', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

const childField = (parent: string, key: string): string => `${parent}.${storableText(key)}`;

/**
 * What is wrong with the strings and keys of `value` (a request's params,
 * query or body), each issue naming its field from `root` (`params.id`,
 * `query.dagId`, `body.apiConfig.headers.Accept`): a NUL character or a lone
 * surrogate (PostgreSQL stores neither), a `__proto__` key, or a
 * `constructor` key holding a `prototype` (the shapes of prototype
 * pollution, which Fastify's own JSON parser refuses too). Walks with its
 * own stack, whatever the depth.
 */
export function inputIssues(value: unknown, root: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const [item, field] = stack.pop()!;
    if (typeof item === 'string') {
      const problem = unstorableText(item);
      if (problem) issues.push({ field, message: `contains ${problem}, which is not allowed` });
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], `${field}.${i}`]);
      continue;
    }
    const children: [unknown, string][] = [];
    for (const [key, child] of Object.entries(item)) {
      const keyProblem = unstorableText(key);
      if (keyProblem) {
        issues.push({ field: childField(field, key), message: `the key contains ${keyProblem}, which is not allowed` });
      } else if (key === '__proto__') {
        issues.push({ field: childField(field, key), message: 'a key named __proto__ is not allowed' });
      } else if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) {
        issues.push({ field: childField(field, key), message: 'a key named constructor holding a prototype is not allowed' });
      } else {
        children.push([child, childField(field, key)]);
      }
    }
    // Reversed onto the stack, so that fields are visited (and named) in the order they were sent.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return issues.slice(0, MAX_ISSUES);
}

/** Throws `validation_failed` naming the field when a text value (a form field, a file name) cannot be stored. */
export function checkText(field: string, value: string): string {
  const problem = unstorableText(value);
  if (problem) throw validationFailed([{ field, message: `contains ${problem}, which is not allowed` }]);
  return value;
}
