/**
 * JSONPath filter expressions (`[?(@.price < 10 && @.tags[0] == 'sale')]`),
 * parsed and evaluated here instead of by jsonpath-plus: its default "safe"
 * mode still interprets JavaScript from the path (method calls included),
 * and paths come from users. This language has no calls, no arithmetic and
 * no assignment, and reads own properties only, so a path cannot reach
 * `constructor` or `__proto__`, run code, or allocate without bound.
 *
 * Grammar (RFC 9535 comparisons with jsonpath-plus spellings):
 *   expr  := and ('||' and)*
 *   and   := unary ('&&' unary)*
 *   unary := '!' unary | cmp
 *   cmp   := value (('=='|'==='|'!='|'!=='|'<'|'<='|'>'|'>=') value)?
 *   value := '(' expr ')' | path | string | number | true | false | null
 *   path  := ('@' | '@root' | '$' | '@property') ('.' name | '[' string ']' | '[' integer ']')*
 */

export type FilterPathRoot = 'current' | 'root' | 'property';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type FilterNode =
  | { type: 'literal'; value: string | number | boolean | null }
  | { type: 'path'; root: FilterPathRoot; steps: (string | number)[] }
  | { type: 'not'; operand: FilterNode }
  | { type: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { type: 'compare'; op: CompareOp; left: FilterNode; right: FilterNode };

/** What a filter sees: the candidate value, the whole document and the candidate's key or index. */
export interface FilterScope {
  current: unknown;
  root: unknown;
  property: unknown;
}

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

const MAX_DEPTH = 64;
const NAME_CHAR = /[\p{L}\p{N}_$]/u;

// The names jsonpath-plus substitutes for @, @root and @property before handing a filter over.
const ROOT_NAMES: Record<string, FilterPathRoot> = {
  '@': 'current',
  _$_v: 'current',
  '@root': 'root',
  _$_root: 'root',
  $: 'root',
  '@property': 'property',
  _$_property: 'property',
};

const UNSUPPORTED_NAMES = new Set(['@parent', '@parentProperty', '@path', '_$_parent', '_$_parentProperty', '_$_path']);

const COMPARE_OPS: [string, CompareOp][] = [
  ['===', '=='],
  ['!==', '!='],
  ['==', '=='],
  ['!=', '!='],
  ['<=', '<='],
  ['>=', '>='],
  ['<', '<'],
  ['>', '>'],
];

class Parser {
  pos: number;
  #depth = 0;

  constructor(
    readonly src: string,
    start: number,
  ) {
    this.pos = start;
  }

  fail(message: string, at = this.pos): never {
    throw new FilterSyntaxError(message, at);
  }

  skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos += 1;
  }

  eat(token: string): boolean {
    if (!this.src.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  parseOr(): FilterNode {
    if (++this.#depth > MAX_DEPTH) this.fail('filter is nested too deeply');
    let left = this.parseAnd();
    for (;;) {
      this.skipSpace();
      if (!this.eat('||')) break;
      left = { type: 'or', left, right: this.parseAnd() };
    }
    this.#depth -= 1;
    return left;
  }

  parseAnd(): FilterNode {
    let left = this.parseUnary();
    for (;;) {
      this.skipSpace();
      if (!this.eat('&&')) break;
      left = { type: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  parseUnary(): FilterNode {
    this.skipSpace();
    if (this.src[this.pos] === '!' && this.src[this.pos + 1] !== '=') {
      this.pos += 1;
      if (++this.#depth > MAX_DEPTH) this.fail('filter is nested too deeply');
      const operand = this.parseUnary();
      this.#depth -= 1;
      return { type: 'not', operand };
    }
    return this.parseCompare();
  }

  parseCompare(): FilterNode {
    const left = this.parseValue();
    this.skipSpace();
    for (const [token, op] of COMPARE_OPS) {
      if (this.eat(token)) return { type: 'compare', op, left, right: this.parseValue() };
    }
    if (this.src[this.pos] === '=') this.fail('use == to compare');
    if (/[-+*/%]/.test(this.src[this.pos] ?? '')) this.fail('arithmetic is not supported in filters');
    return left;
  }

  parseValue(): FilterNode {
    this.skipSpace();
    const start = this.pos;
    const c = this.src[this.pos];
    if (c === undefined) this.fail('the filter ends where a value was expected');
    if (c === '(') {
      this.pos += 1;
      const inner = this.parseOr();
      this.skipSpace();
      if (!this.eat(')')) this.fail('expected ")"');
      return inner;
    }
    if (c === "'" || c === '"') return { type: 'literal', value: this.parseString() };
    if (/[0-9]/.test(c) || (c === '-' && /[0-9.]/.test(this.src[this.pos + 1] ?? '')) || c === '.') {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(this.src.slice(this.pos));
      if (!m) this.fail('expected a number');
      this.pos += m[0].length;
      return { type: 'literal', value: Number(m[0]) };
    }
    // A word: @, @root, $, true, the _$_v jsonpath-plus writes for @…
    let word = c === '@' ? '@' : '';
    if (c === '@') this.pos += 1;
    while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos]!)) word += this.src[this.pos++];
    if (word === 'true' || word === 'false') return { type: 'literal', value: word === 'true' };
    if (word === 'null') return { type: 'literal', value: null };
    const root = Object.hasOwn(ROOT_NAMES, word) ? ROOT_NAMES[word] : undefined;
    if (root !== undefined) return { type: 'path', root, steps: this.parseSteps() };
    if (UNSUPPORTED_NAMES.has(word)) this.fail(`${word.replace('_$_', '@')} is not supported in filters`, start);
    if (word === '') this.fail(`unexpected "${c}"`, start);
    this.fail(`unknown name "${word}" (paths in filters start with @ or $)`, start);
  }

  parseSteps(): (string | number)[] {
    const steps: (string | number)[] = [];
    for (;;) {
      if (this.src[this.pos] === '.') {
        this.pos += 1;
        let name = '';
        while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos]!)) name += this.src[this.pos++];
        if (name === '') this.fail('expected a name after "."');
        steps.push(name);
      } else if (this.src[this.pos] === '[') {
        this.pos += 1;
        this.skipSpace();
        const c = this.src[this.pos];
        if (c === "'" || c === '"') {
          steps.push(this.parseString());
        } else {
          const m = /^-?\d+/.exec(this.src.slice(this.pos));
          if (!m) this.fail('expected a quoted name or an index inside [ ]');
          this.pos += m[0].length;
          steps.push(Number(m[0]));
        }
        this.skipSpace();
        if (!this.eat(']')) this.fail('expected "]"');
      } else {
        if (this.src[this.pos] === '(') this.fail('function calls are not supported in filters');
        return steps;
      }
    }
  }

  parseString(): string {
    return parseQuoted(this.src, this, (message, at) => this.fail(message, at));
  }
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '/': '/', '\\': '\\', "'": "'", '"': '"' };

/**
 * Reads a quoted string ('…' or "…", JSON escapes) at `cursor.pos`, moving
 * the cursor past it. Shared with the path parser.
 */
export function parseQuoted(src: string, cursor: { pos: number }, fail: (message: string, at: number) => never): string {
  const quote = src[cursor.pos]!;
  const start = cursor.pos;
  let out = '';
  let i = cursor.pos + 1;
  for (;;) {
    const c = src[i];
    if (c === undefined) fail('unterminated string', start);
    if (c === quote) break;
    if (c === '\\') {
      const next = src[i + 1];
      if (next === 'u') {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape', i);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
        continue;
      }
      const escaped = next === undefined ? undefined : ESCAPES[next];
      if (escaped === undefined) fail(`bad escape "\\${next ?? ''}"`, i);
      out += escaped;
      i += 2;
      continue;
    }
    out += c;
    i += 1;
  }
  cursor.pos = i + 1;
  return out;
}

/**
 * Parses a filter expression starting at `start` in `src`; it ends before
 * the first `]` or unmatched `)`, whose position is returned as `end`.
 */
export function parseFilterAt(src: string, start: number): { node: FilterNode; end: number } {
  const parser = new Parser(src, start);
  const node = parser.parseOr();
  parser.skipSpace();
  return { node, end: parser.pos };
}

/** Parses a whole filter expression (no trailing text allowed). */
export function parseFilter(text: string): FilterNode {
  const { node, end } = parseFilterAt(text, 0);
  if (end < text.length) throw new FilterSyntaxError(`unexpected "${text[end]}"`, end);
  return node;
}

// Everything but letters, digits, space, _ and - is escaped, so the text
// holds no quote, bracket or parenthesis that jsonpath-plus's path splitter
// could mistake for the end of the filter.
const quote = (s: string): string =>
  `"${s.replace(/[^A-Za-z0-9 _-]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;

const ROOT_TEXT: Record<FilterPathRoot, string> = { current: '@', root: '@root', property: '@property' };

/** The filter as canonical text that parseFilter reads back to the same tree. */
export function serializeFilter(node: FilterNode): string {
  switch (node.type) {
    case 'literal':
      return typeof node.value === 'string' ? quote(node.value) : String(node.value);
    case 'path':
      return (
        ROOT_TEXT[node.root] +
        node.steps
          .map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${quote(s)}]`))
          .join('')
      );
    case 'not':
      return `!(${serializeFilter(node.operand)})`;
    case 'and':
      return `(${serializeFilter(node.left)} && ${serializeFilter(node.right)})`;
    case 'or':
      return `(${serializeFilter(node.left)} || ${serializeFilter(node.right)})`;
    case 'compare':
      return `${serializeFilter(node.left)} ${node.op} ${serializeFilter(node.right)}`;
  }
}

/** One step into a JSON value: own properties only, plus `length` of arrays and strings. */
function step(value: unknown, key: string | number): unknown {
  if (typeof value === 'string') return key === 'length' ? value.length : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    if (typeof key === 'number') return value[key < 0 ? value.length + key : key];
    return key === 'length' ? value.length : undefined;
  }
  const name = String(key);
  return Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

function resolve(node: FilterNode, scope: FilterScope): unknown {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'path': {
      let value = scope[node.root];
      for (const key of node.steps) {
        value = step(value, key);
        if (value === undefined) return undefined;
      }
      return value;
    }
    default:
      return test(node, scope);
  }
}

/** Equality of JSON values: strict for scalars (no "1" == 1), structural for objects and arrays. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every(
    (k) => Object.hasOwn(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  if (op === '==') return equal(a, b);
  if (op === '!=') return !equal(a, b);
  // Order only between two numbers or two strings: "10" < 9 has no honest answer.
  const comparable = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
}

/**
 * Whether the filter accepts the candidate. A bare path or literal is true
 * when it holds something other than null or false (so `?(@.active)` skips
 * inactive items and `?(@.email)` items without one).
 */
export function test(node: FilterNode, scope: FilterScope): boolean {
  switch (node.type) {
    case 'and':
      return test(node.left, scope) && test(node.right, scope);
    case 'or':
      return test(node.left, scope) || test(node.right, scope);
    case 'not':
      return !test(node.operand, scope);
    case 'compare':
      return compare(node.op, resolve(node.left, scope), resolve(node.right, scope));
    default: {
      const value = resolve(node, scope);
      return value !== undefined && value !== null && value !== false;
    }
  }
}
