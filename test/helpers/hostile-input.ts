/**
 * Hostile requests for every operation of the served OpenAPI document: a
 * plausible request built from each operation's schemas, then variants of it
 * with NUL characters, lone surrogates, prototype keys, wrong types, huge
 * strings and deep nesting in every path parameter, query value and JSON
 * string. Deterministic for a seed (test/helpers/random.ts).
 */

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  pattern?: string;
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  additionalProperties?: Schema | boolean;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}

export interface Operation {
  method: string;
  /** The OpenAPI path, `/api/users/{id}`. */
  path: string;
  pathParams: Parameter[];
  query: Parameter[];
  /** The JSON body's schema, when the operation takes one. */
  body: Schema | undefined;
}

export interface HostileCase {
  label: string;
  op: Operation;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  /** The field the answer must name: a 400 `validation_failed` whose message contains it. */
  expectField?: string;
  /** The code the answer must have. */
  expectCode?: string;
  /** Only the org guard refuses it, which checks callers with a user's or API token (not public or Airflow routes). */
  orgGuard?: true;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
}

/** Every operation of the document. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        body: op.requestBody?.content['application/json']?.schema,
      });
    }
  }
  return ops;
}

/**
 * What makes a request go further than its validation, into the handlers and
 * the database: a source on loopback, the caller's organisation, and ids of
 * resources that exist.
 */
export interface SampleHints {
  sourceUrl: string;
  /** The caller's organisation. */
  orgId: string;
  /** Values for properties and query parameters of these names, wherever they are (`connectionId`, `file_id`). */
  values: Record<string, unknown>;
  /** Path parameters of existing resources, by `<OpenAPI path> <name>`: `/api/users/{id} id`. */
  pathIds: Record<string, string>;
}

const typeOf = (schema: Schema): string | undefined => {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') ?? schema.type[0];
  return schema.type;
};

/** A value that satisfies `schema` as far as a generic reading can, with every optional property present. */
export function sample(schema: Schema, name: string, hints: SampleHints, serial: { n: number }): unknown {
  if (Object.hasOwn(hints.values, name)) return structuredClone(hints.values[name]);
  if (schema.enum) return schema.enum[0];
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return sample(alternatives.find((a) => typeOf(a) !== 'null') ?? alternatives[0]!, name, hints, serial);
  const n = ++serial.n;
  switch (typeOf(schema)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(schema.properties ?? {})) out[key] = sample(child, key, hints, serial);
      if (!schema.properties && typeof schema.additionalProperties === 'object' && schema.additionalProperties.type) {
        out['X-Fuzz'] = sample(schema.additionalProperties, 'X-Fuzz', hints, serial);
      }
      return out;
    }
    case 'array':
      return [sample(schema.items ?? {}, name, hints, serial)];
    case 'integer':
    case 'number':
      return name === 'timeoutSeconds' ? 1 : (schema.minimum ?? (schema.exclusiveMinimum === undefined ? 1 : schema.exclusiveMinimum + 1));
    case 'boolean':
      return false;
    case 'string':
      return sampleString(schema, name, hints, n);
    default:
      return `fuzz${n}`;
  }
}

function sampleString(schema: Schema, name: string, hints: SampleHints, n: number): string {
  // The caller's own organisation: another one is refused (403) before anything else is looked at.
  if (name === 'org_id' || name === 'client_id' || name === 'orgId') return hints.orgId;
  if (/url$/i.test(name)) return hints.sourceUrl;
  if (schema.format === 'email' || name === 'email') return `fuzz${n}@example.com`;
  if (schema.format === 'date-time' || name === 'before') return '2026-01-02T03:04:05.000Z';
  if (name === 'cronExpression') return '0 9 * * *';
  if (name === 'timezone') return 'UTC';
  if (name === 'scheduleType') return 'daily';
  if (name === 'source' || /path$/i.test(name)) return '$.id';
  if (name === 'password' || name === 'value' || name === 'token') return `fuzz-secret-${n}`;
  // Ids, table and column names and header names all take this shape.
  return `fuzz_${n}`;
}

type Segment = string | number;

/** The paths of every leaf (string, number, boolean, null) and of every object in `value`. */
function walk(value: unknown, at: Segment[] = [], out: { leaves: Segment[][]; objects: Segment[][] } = { leaves: [], objects: [] }) {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') {
    out.objects.push(at);
    for (const [k, v] of Object.entries(value)) walk(v, [...at, k], out);
  } else out.leaves.push(at);
  return out;
}

const copyOf = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function setAt(root: unknown, at: Segment[], value: unknown): unknown {
  if (at.length === 0) return value;
  const copy = copyOf(root) as Record<string | number, unknown>;
  let node = copy;
  for (const segment of at.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  node[at.at(-1)!] = value;
  return copy;
}

/** Adds `key` to the object at `at`, as an own property even when it is `__proto__`. */
function addKey(root: unknown, at: Segment[], key: string, value: unknown): unknown {
  const copy = copyOf(root) as Record<string | number, unknown>;
  let node = copy;
  for (const segment of at) node = node[segment] as Record<string | number, unknown>;
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const fieldName = (root: string, at: Segment[]) => [root, ...at].join('.');

/** Stands for a deeply nested value in a body, replaced in its JSON text (JSON.stringify itself recurses). */
const DEEP = '\u2063deep\u2063';
/** `depth` levels of arrays and objects, as JSON text. */
const nestedJson = (depth: number): string => {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    open.push(i % 2 ? '[' : '{"d":');
    close.push(i % 2 ? ']' : '}');
  }
  return `${open.join('')}0${close.reverse().join('')}`;
};

/** Strings PostgreSQL cannot store, as a JavaScript string (JSON.stringify writes them as escapes). */
const UNSTORABLE: { label: string; value: string }[] = [
  { label: 'NUL', value: 'a\u0000b' },
  { label: 'lone high surrogate', value: 'x\ud800' },
  { label: 'lone low surrogate', value: '\udc00y' },
];

/** Values of the wrong type or shape for a leaf. */
const WRONG: { label: string; value: unknown }[] = [
  { label: 'toString object', value: { toString: 'x' } },
  { label: 'array', value: ['x'] },
  { label: 'empty object', value: {} },
  { label: 'huge number', value: 1e308 },
  { label: 'negative', value: -1 },
  { label: 'true', value: true },
  { label: 'null', value: null },
  { label: 'huge string', value: 'h'.repeat(100_000) },
  { label: 'unicode', value: '💥\uffff\u200b\u202e' },
  { label: 'sql', value: "x'); DROP TABLE users; --" },
];

/** Path parameter values, written as they go in the URL. */
const PATH_VALUES: { label: string; raw: string; expectField?: true; expectCode?: string }[] = [
  { label: 'NUL', raw: 'a%00b', expectField: true },
  { label: 'lone surrogate', raw: '%ED%A0%80', expectCode: 'bad_request' },
  { label: 'bare percent', raw: '%', expectCode: 'bad_request' },
  { label: 'huge', raw: 'p'.repeat(5000) },
  { label: '__proto__', raw: '__proto__' },
  { label: 'constructor', raw: 'constructor' },
  { label: 'dot dot', raw: '..%2F..%2Fetc' },
  { label: 'emoji', raw: '%F0%9F%92%A5' },
  { label: 'sql', raw: encodeURIComponent("' OR 1=1 --") },
];

const QUERY_VALUES: { label: string; raw: string; expectField?: true }[] = [
  { label: 'NUL', raw: 'a%00b', expectField: true },
  { label: 'lone surrogate', raw: '%ED%A0%80' },
  { label: 'huge', raw: 'q'.repeat(20_000) },
  { label: '__proto__', raw: '__proto__' },
  { label: 'not a number', raw: 'NaN' },
  { label: 'overflow', raw: '1e400' },
  { label: 'negative', raw: '-1' },
];

/** Raw bodies a JSON route must refuse or take calmly. */
const RAW_BODIES: { label: string; contentType: string; payload: string; expectCode?: string }[] = [
  { label: 'empty', contentType: 'application/json', payload: '', expectCode: 'bad_request' },
  { label: 'not JSON', contentType: 'application/json', payload: '{"a": ', expectCode: 'bad_request' },
  { label: 'null', contentType: 'application/json', payload: 'null' },
  { label: 'array', contentType: 'application/json', payload: '[]' },
  { label: 'string', contentType: 'application/json', payload: '"x"' },
  { label: 'BOM', contentType: 'application/json', payload: '\ufeff{}' },
  { label: 'NUL escape at the top', contentType: 'application/json', payload: '"\\u0000"', expectCode: 'validation_failed' },
  { label: 'deep', contentType: 'application/json', payload: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, expectCode: 'json_too_deep' },
  { label: 'text with NUL', contentType: 'text/plain', payload: 'a\u0000b', expectCode: 'validation_failed' },
  { label: 'form', contentType: 'application/x-www-form-urlencoded', payload: 'a=b', expectCode: 'unsupported_media_type' },
  { label: 'latin1 JSON', contentType: 'application/json; charset=latin1', payload: '{}' },
];

/**
 * The requests to send for one operation: the plausible one, then its
 * hostile variants. Every path parameter, query value and JSON string gets
 * each unstorable string; leaves get wrong types; objects get prototype and
 * NUL keys and deep nesting; org fields get non-strings. `rnd` picks which
 * wrong types each leaf gets, so a run is repeatable for its seed.
 */
export function hostileCases(op: Operation, hints: SampleHints, rnd: () => number, serial: { n: number }): HostileCase[] {
  const pathValues: Record<string, string> = {};
  for (const p of op.pathParams) {
    // A DELETE of an existing resource would leave the operations after it nothing to work on.
    const existing = op.method === 'DELETE' ? undefined : hints.pathIds[`${op.path} ${p.name}`];
    pathValues[p.name] = existing ?? (typeOf(p.schema ?? {}) === 'integer' ? '1' : `missing_${p.name}`);
  }
  const queryValues: Record<string, string> = {};
  for (const q of op.query) queryValues[q.name] = String(q.name === 'wait' ? 'false' : sample(q.schema ?? {}, q.name, hints, serial));
  const body = op.body ? sample(op.body, 'body', hints, serial) : undefined;

  const url = (paths: Record<string, string>, query: Record<string, string>, extra = '') => {
    const p = op.path.replace(/\{(\w+)\}/g, (_, name: string) => paths[name] ?? encodeURIComponent(pathValues[name]!));
    const q = Object.entries(query)
      .map(([k, v]) => `${k}=${v}`)
      .concat(extra ? [extra] : [])
      .join('&');
    return q ? `${p}?${q}` : p;
  };
  const encodedQuery = Object.fromEntries(Object.entries(queryValues).map(([k, v]) => [k, encodeURIComponent(v)]));
  const make = (label: string, parts: { url?: string; body?: unknown; deep?: number; payload?: string; contentType?: string; expectField?: string; expectCode?: string; orgGuard?: true }): HostileCase => {
    let payload = parts.payload ?? (parts.body !== undefined ? JSON.stringify(parts.body) : body !== undefined ? JSON.stringify(body) : undefined);
    if (parts.deep !== undefined) payload = payload!.replace(JSON.stringify(DEEP), nestedJson(parts.deep));
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['content-type'] = parts.contentType ?? 'application/json';
    return {
      label: `${op.method} ${op.path} ${label}`,
      op,
      method: op.method,
      url: parts.url ?? url({}, encodedQuery),
      headers,
      ...(payload === undefined ? {} : { payload }),
      ...(parts.expectField ? { expectField: parts.expectField } : {}),
      ...(parts.expectCode ? { expectCode: parts.expectCode } : {}),
      ...(parts.orgGuard ? { orgGuard: true } : {}),
    };
  };

  const cases: HostileCase[] = [make('as documented', {})];

  for (const p of op.pathParams) {
    for (const v of PATH_VALUES) {
      cases.push(make(`path ${p.name}: ${v.label}`, { url: url({ [p.name]: v.raw }, encodedQuery), ...(v.expectField ? { expectField: `params.${p.name}` } : {}), ...(v.expectCode ? { expectCode: v.expectCode } : {}) }));
    }
  }
  for (const q of op.query) {
    for (const v of QUERY_VALUES) {
      cases.push(make(`query ${q.name}: ${v.label}`, { url: url({}, { ...encodedQuery, [q.name]: v.raw }), ...(v.expectField ? { expectField: `query.${q.name}` } : {}) }));
    }
    cases.push(make(`query ${q.name}: repeated`, { url: url({}, encodedQuery, `${q.name}=a&${q.name}=b`) }));
  }
  cases.push(make('query: prototype keys', { url: url({}, encodedQuery, '__proto__=x&constructor=y&__proto__%5Bpolluted%5D=1') }));
  for (const field of ['org_id', 'client_id', 'orgId']) {
    cases.push(make(`query ${field}: repeated`, { url: url({}, encodedQuery, `${field}=default&${field}=other`), expectField: `query.${field}`, orgGuard: true }));
    cases.push(make(`query ${field}: NUL`, { url: url({}, encodedQuery, `${field}=default%00`), expectField: `query.${field}` }));
  }

  if (op.body) {
    const shape = walk(body);
    for (const at of shape.leaves) {
      for (const v of UNSTORABLE) cases.push(make(`body ${fieldName('', at)}: ${v.label}`, { body: setAt(body, at, v.value), expectField: fieldName('body', at) }));
      // Two wrong values per leaf, picked by the seeded generator.
      for (let i = 0; i < 2; i++) {
        const v = WRONG[Math.floor(rnd() * WRONG.length)]!;
        cases.push(make(`body ${fieldName('', at)}: ${v.label}`, { body: setAt(body, at, v.value) }));
      }
    }
    for (const at of shape.objects) {
      const where = fieldName('body', at);
      cases.push(make(`body ${where}: __proto__ key`, { body: addKey(body, at, '__proto__', { polluted: true }), expectField: `${where}.__proto__` }));
      cases.push(make(`body ${where}: constructor.prototype`, { body: addKey(body, at, 'constructor', { prototype: { polluted: true } }), expectField: `${where}.constructor` }));
      cases.push(make(`body ${where}: NUL key`, { body: addKey(body, at, 'k\u0000', 1), expectField: `${where}.k\\u0000` }));
      cases.push(make(`body ${where}: lone surrogate key`, { body: addKey(body, at, '\udfff', 1), expectField: `${where}.\\udfff` }));
      // The object at `at` is at depth at.length + 1: these make the body exactly 64 deep, 65, and 20,000.
      cases.push(make(`body ${where}: 64 levels deep`, { body: addKey(body, at, 'deep', DEEP), deep: 63 - at.length }));
      cases.push(make(`body ${where}: 65 levels deep`, { body: addKey(body, at, 'deep', DEEP), deep: 64 - at.length, expectCode: 'json_too_deep' }));
      cases.push(make(`body ${where}: 20000 levels deep`, { body: addKey(body, at, 'deep', DEEP), deep: 20_000, expectCode: 'json_too_deep' }));
    }
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      for (const field of ['org_id', 'client_id', 'orgId']) {
        for (const v of [{ toString: 'x' }, ['default'], true, { valueOf: 1 }]) {
          cases.push(make(`body ${field}: ${JSON.stringify(v)}`, { body: { ...body, [field]: v }, expectField: `body.${field}`, orgGuard: true }));
        }
        cases.push(make(`body ${field}: NUL`, { body: { ...body, [field]: 'default\u0000' }, expectField: `body.${field}` }));
      }
      const many: Record<string, number> = {};
      for (let i = 0; i < 20_000; i++) many[`k${i}`] = i;
      cases.push(make('body: 20000 keys', { body: { ...body, many } }));
      cases.push(make('body: 5 MiB string', { body: { ...body, huge: 's'.repeat(5 * 1024 * 1024) } }));
    }
  }
  for (const raw of RAW_BODIES) cases.push(make(`raw body: ${raw.label}`, { payload: raw.payload, contentType: raw.contentType, ...(op.body && raw.expectCode ? { expectCode: raw.expectCode } : {}) }));
  return cases;
}
