import { JSONPath } from 'jsonpath-plus';
import { UserError } from '../errors/index.js';
import { FilterSyntaxError, parseFilter, parseFilterAt, parseQuoted, serializeFilter, test, type FilterNode } from './filter.js';

/**
 * User-written JSONPath, compiled once and run per record.
 *
 * Every path is parsed here first, so a bad path fails when the connection
 * is saved rather than on the 40,000th record, and so both evaluators agree
 * on what it means. Paths made only of names and indices (`$.a.b`,
 * `$.items[0]['odd key']`) become a direct accessor: most mappings are like
 * that and run for every record. Anything else (`*`, `..`, unions, slices,
 * filters) goes to jsonpath-plus, rewritten in a canonical form its splitter
 * reads unambiguously, with filters evaluated by ./filter.ts, never as code.
 *
 * Both evaluators read own properties only: `$.constructor` or
 * `$.__proto__` find nothing unless the record itself has such a key.
 * Stepping into a string or number finds nothing either, except `length`
 * of an array (an own property).
 */

type Segment =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'descendant' }
  | { kind: 'union'; members: (string | number)[] }
  | { kind: 'slice'; text: string }
  | { kind: 'filter'; node: FilterNode };

class PathSyntaxError extends Error {}

// Characters a dotted name may not contain; use ['…'] for such keys.
const NAME_STOP = /[.[\]\s'"()?,*\\]/;

/** Parses a path into segments, or throws PathSyntaxError with a reason. */
function parsePath(path: string): Segment[] {
  const cursor = { pos: 0 };
  const fail = (message: string, at = cursor.pos): never => {
    throw new PathSyntaxError(`${message} at position ${at}`);
  };
  if (path[0] !== '$') fail('a path must start with $', 0);
  cursor.pos = 1;
  const segments: Segment[] = [];
  const readName = (): string => {
    const start = cursor.pos;
    while (cursor.pos < path.length && !NAME_STOP.test(path[cursor.pos]!)) cursor.pos += 1;
    if (cursor.pos === start) fail(`expected a name, found "${path[cursor.pos] ?? 'the end'}"`);
    return path.slice(start, cursor.pos);
  };

  while (cursor.pos < path.length) {
    const c = path[cursor.pos];
    if (c === '.') {
      if (path[cursor.pos + 1] === '.') {
        cursor.pos += 2;
        segments.push({ kind: 'descendant' });
        // `..` takes a name, `*` or a bracket right after it.
        if (path[cursor.pos] === '[') continue;
      } else {
        cursor.pos += 1;
      }
      if (path[cursor.pos] === '*') {
        cursor.pos += 1;
        segments.push({ kind: 'wildcard' });
      } else {
        segments.push({ kind: 'key', key: readName() });
      }
    } else if (c === '[') {
      cursor.pos += 1;
      segments.push(parseBracket(path, cursor, fail));
    } else {
      fail(`unexpected "${c}"`);
    }
  }
  if (segments.at(-1)?.kind === 'descendant') fail('".." must be followed by a name, * or [ ]');
  return segments;
}

const skipSpace = (path: string, cursor: { pos: number }): void => {
  while (cursor.pos < path.length && /\s/.test(path[cursor.pos]!)) cursor.pos += 1;
};

/** Parses what follows `[` up to and including the closing `]`. */
function parseBracket(path: string, cursor: { pos: number }, fail: (message: string, at?: number) => never): Segment {
  skipSpace(path, cursor);
  const c = path[cursor.pos];
  let segment: Segment;
  if (c === '?') {
    try {
      const { node, end } = parseFilterAt(path, cursor.pos + 1);
      cursor.pos = end;
      segment = { kind: 'filter', node };
    } catch (error) {
      if (error instanceof FilterSyntaxError) fail(`invalid filter: ${error.message}`, error.position);
      throw error;
    }
  } else if (c === '(') {
    fail('script expressions [( … )] are not supported; use a filter [?( … )]');
  } else if (c === '*') {
    cursor.pos += 1;
    segment = { kind: 'wildcard' };
  } else {
    const members: (string | number)[] = [];
    let slice: string | undefined;
    for (;;) {
      skipSpace(path, cursor);
      const q = path[cursor.pos];
      if (q === "'" || q === '"') {
        members.push(parseQuoted(path, cursor, fail));
      } else {
        const m = /^(-?\d*)\s*(:\s*(-?\d*)\s*(:\s*(-?\d*))?)?/.exec(path.slice(cursor.pos));
        const matched = m?.[0] ?? '';
        if (m?.[2] !== undefined && members.length === 0) {
          // jsonpath-plus would loop forever on a step of 0 or below.
          if (m[5] !== undefined && m[5] !== '' && !(Number(m[5]) > 0)) fail('a slice step must be 1 or more');
          slice = `${m[1]}:${m[3] ?? ''}${m[4] === undefined ? '' : `:${m[5] ?? ''}`}`;
          cursor.pos += matched.length;
        } else if (m?.[1] !== undefined && /^-?\d+$/.test(m[1])) {
          members.push(Number(m[1]));
          cursor.pos += m[1].length;
        } else {
          fail(`expected an index, a quoted name, *, a slice or a filter inside [ ]`);
        }
      }
      skipSpace(path, cursor);
      if (slice !== undefined || path[cursor.pos] !== ',') break;
      cursor.pos += 1;
    }
    if (slice !== undefined) segment = { kind: 'slice', text: slice };
    else if (members.length > 1) segment = { kind: 'union', members };
    else if (typeof members[0] === 'number') segment = { kind: 'index', index: members[0] };
    else segment = { kind: 'key', key: members[0]! };
  }
  skipSpace(path, cursor);
  if (path[cursor.pos] !== ']') fail(`expected "]"`);
  cursor.pos += 1;
  return segment;
}

type Step = { key: string; index: number | null };

/** The direct accessor for a path of names and indices. */
function compileSteps(steps: readonly Step[]): (value: unknown) => unknown {
  if (steps.length === 0) return (value) => value;
  if (steps.length === 1 && steps[0]!.index === null) {
    const key = steps[0]!.key;
    return (value) =>
      typeof value === 'object' && value !== null && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return (value) => {
    let current = value;
    for (const { key, index } of steps) {
      if (typeof current !== 'object' || current === null) return undefined;
      if (index !== null && Array.isArray(current)) {
        current = current[index < 0 ? current.length + index : index];
      } else if (Object.hasOwn(current, key)) {
        current = (current as Record<string, unknown>)[key];
      } else {
        return undefined;
      }
    }
    return current;
  };
}

// Keys jsonpath-plus's splitter would misread (quotes, brackets, its separators
// ; and ,) or treat as syntax (@type(), `escapes, ^ parent, ~ property names).
const UNSAFE_KEY = /['"[\]\\;,()`~^@]|^\$$|^\*$|^\.\.$|^-?\d*:-?\d*:?\d*$/;

/** The path in a canonical spelling jsonpath-plus parses the way parsePath did. */
function toJsonPathPlus(segments: readonly Segment[]): string {
  const keyText = (key: string): string => {
    if (key === '' || UNSAFE_KEY.test(key)) {
      throw new PathSyntaxError(
        `the key ${JSON.stringify(key)} cannot be combined with *, .., unions, slices or filters; reach it with a plain path such as $['…'] instead`,
      );
    }
    return key;
  };
  const unionIndex = (index: number): string => {
    // jsonpath-plus reads a negative index in a union as a key that never exists.
    if (index < 0) throw new PathSyntaxError('negative indices cannot be used in a union [a,b]');
    return String(index);
  };
  let out = '$';
  for (const segment of segments) {
    switch (segment.kind) {
      case 'key':
        out += `['${keyText(segment.key)}']`;
        break;
      case 'index':
        // jsonpath-plus reads [-1] as a key; the slice [-1:0] means the last item (0 = up to the end).
        out += segment.index < 0 ? `[${segment.index}:${segment.index + 1}]` : `[${segment.index}]`;
        break;
      case 'wildcard':
        out += '[*]';
        break;
      case 'descendant':
        out += '..';
        break;
      case 'union':
        out += `[${segment.members.map((m) => (typeof m === 'number' ? unionIndex(m) : keyText(m))).join(',')}]`;
        break;
      case 'slice':
        out += `[${segment.text}]`;
        break;
      case 'filter': {
        const text = serializeFilter(segment.node);
        FILTERS.set(jsonpathPlusScript(text), segment.node);
        out += `[?(${text})]`;
        break;
      }
    }
  }
  return out;
}

/**
 * Filters by the text jsonpath-plus hands to the eval callback, which is the
 * canonical text after its own substitutions (@ → _$_v, …). The map holds one
 * entry per distinct filter ever compiled, a handful per connection.
 */
const FILTERS = new Map<string, FilterNode>();

/** The substitutions jsonpath-plus 10 applies to filter text before evaluating it (JSONPath.prototype._eval). */
function jsonpathPlusScript(code: string): string {
  return code
    .replaceAll('@parentProperty', '_$_parentProperty')
    .replaceAll('@parent', '_$_parent')
    .replaceAll('@property', '_$_property')
    .replaceAll('@root', '_$_root')
    .replaceAll(/@([.\s)[])/gu, '_$_v$1');
}

/** jsonpath-plus's eval hook: runs our filter language, never JavaScript. */
const evaluateFilterScript = (script: string, sandbox: object): boolean => {
  const context = sandbox as Record<string, unknown>;
  let node = FILTERS.get(script);
  if (node === undefined) {
    // Only reached if jsonpath-plus changes its substitutions; its text is still our language.
    try {
      node = parseFilter(script);
    } catch {
      return false;
    }
    FILTERS.set(script, node);
  }
  return test(node, { current: context._$_v, root: context._$_root, property: context._$_property });
};

interface Compiled {
  first: (value: unknown) => unknown;
  all: (value: unknown) => unknown[];
}

const invalidPath = (path: string, reason: string): UserError =>
  new UserError('invalid_config', `invalid JSONPath ${JSON.stringify(path)}: ${reason}`, { details: { path } });

function compile(path: string): Compiled {
  if (typeof path !== 'string') throw invalidPath(String(path), 'a path must be a string');
  const text = path.trim();
  let segments: Segment[];
  try {
    segments = parsePath(text);
  } catch (error) {
    if (error instanceof PathSyntaxError) throw invalidPath(path, error.message);
    throw error;
  }

  if (segments.every((s) => s.kind === 'key' || s.kind === 'index')) {
    const first = compileSteps(
      segments.map((s) => (s.kind === 'key' ? { key: s.key, index: null } : { key: String(s.index), index: s.index })),
    );
    return {
      first,
      all: (value) => {
        const found = first(value);
        return found === undefined ? [] : [found];
      },
    };
  }

  let canonical: string;
  try {
    canonical = toJsonPathPlus(segments);
  } catch (error) {
    if (error instanceof PathSyntaxError) throw invalidPath(path, error.message);
    throw error;
  }
  const all = (value: unknown): unknown[] => {
    // Below a scalar there is nothing to select (and jsonpath-plus returns nothing for falsy documents).
    if (typeof value !== 'object' || value === null) return [];
    return JSONPath<unknown[]>({
      path: canonical,
      json: value,
      wrap: true,
      resultType: 'value',
      eval: evaluateFilterScript,
      ignoreEvalErrors: true,
    });
  };
  return { first: (value) => all(value)[0], all };
}

/**
 * Compiles a JSONPath into a function returning its first match, or
 * undefined when nothing matches. Throws UserError('invalid_config') naming
 * the path when it is not valid.
 */
export function compilePath(path: string): (value: unknown) => unknown {
  return compile(path).first;
}

/** Compiles a JSONPath into a function returning every match, in document order. */
export function compilePathAll(path: string): (value: unknown) => unknown[] {
  return compile(path).all;
}

/**
 * The keys of a path made only of names (`$.a.b`, `$['odd key']`) — what
 * PostgreSQL's `#>>` takes to reach the same value in jsonb — or null for
 * any other path (indices, wildcards, filters) or one that does not parse.
 */
export function plainKeyPath(path: string): string[] | null {
  let segments: Segment[];
  try {
    segments = parsePath(path);
  } catch {
    return null;
  }
  const keys: string[] = [];
  for (const segment of segments) {
    if (segment.kind !== 'key') return null;
    keys.push(segment.key);
  }
  return keys;
}
