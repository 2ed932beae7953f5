import { dereference, validate } from '@readme/openapi-parser';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UserError } from '../../../errors/index.js';
import { ColumnNamer, pathFor, toColumnName, type ColumnType } from '../../../mapping/index.js';
import type { AuthConfig, PaginationConfig, Parameter } from '../config.schema.js';
import type { Finding } from '../detect/finding.js';
import {
  CURSOR_KEYS,
  HAS_MORE_KEYS,
  LIMIT_KEYS,
  NEXT_URL_KEYS,
  OFFSET_KEYS,
  PAGE_KEYS,
  PAGE_SIZE_KEYS,
  TOTAL_KEYS,
  TOTAL_PAGES_KEYS,
} from '../detect/hints.js';
import { isPlainObject, jsonPathOf, normalKey } from '../detect/json-walk.js';
import { RECORD_NAMES } from '../detect/records.js';
import { maskUrl, type HttpClient } from '../transport/index.js';

/** The largest document read, as text or fetched: OpenAPI documents of large APIs are a few megabytes. */
export const MAX_OPENAPI_BYTES = 10 * 1024 * 1024;

export const OpenApiInput = z
  .object({
    /** The document itself: JSON or YAML text, or the parsed object. */
    document: z.union([z.string().max(MAX_OPENAPI_BYTES), z.record(z.string(), z.unknown())]).optional(),
    /** Where to fetch it, through the same guarded transport as sources. */
    url: z
      .string()
      .trim()
      .refine((v) => /^https?:\/\//i.test(v), { message: 'must be an absolute URL starting with http:// or https://' })
      .optional(),
    /** `GET /users` or an operationId: without it, the answer lists the GET operations. */
    operation: z.string().trim().min(1).max(1000).optional(),
  })
  .refine((v) => (v.document === undefined) !== (v.url === undefined), { message: 'send either document or url', path: ['document'] });
export type OpenApiInput = z.infer<typeof OpenApiInput>;

type Schema = Record<string, unknown>;
type Operation = { operationId?: string; summary?: string; parameters?: unknown[]; responses?: Record<string, unknown>; security?: Record<string, string[]>[] };

export interface OperationSummary {
  /** `GET /users`: what to send back as `operation`. */
  key: string;
  operationId: string | null;
  summary: string | null;
  parameters: { name: string; in: string; required: boolean; type: string | null }[];
}

export interface OpenApiProposal {
  proposal: {
    name: string;
    apiConfig: { baseUrl: string; method: 'GET'; headers: Record<string, string>; auth: AuthConfig | Record<string, unknown>; pagination: PaginationConfig; recordsPath?: string };
    parameters: Parameter[];
    fieldMappings: { source: string; target: string; type: ColumnType; required: boolean }[];
    destination: { table: string; writeMode: 'append' | 'upsert'; primaryKey?: string[] };
    incremental?: { cursorField: string };
  };
  findings: {
    recordsPath: Finding<string | null>;
    pagination: Finding<PaginationConfig | null>;
    fieldMappings: Finding<number>;
    primaryKey: Finding<string | null>;
    incremental: Finding<{ cursorField: string; parameter: string | null } | null>;
    auth: Finding<string>;
  };
  /** What the document cannot give and a person must fill in (secrets, path parameter values). */
  needs: { field: string; message: string }[];
}

export type OpenApiAnswer = { operations: OperationSummary[] } | (OpenApiProposal & { operations: OperationSummary[] });

const invalid = (message: string, field = 'document') => new UserError('openapi_invalid', message, { details: { issues: [{ field, message }] } });

/** Reads an OpenAPI 3 (or Swagger 2) document with @readme/openapi-parser; external `$ref`s are never fetched. */
async function load(input: OpenApiInput, client: HttpClient, signal?: AbortSignal): Promise<{ doc: Schema; source: string | undefined }> {
  let raw: unknown = input.document;
  if (input.url) {
    // The client caps the body at its maxResponseBytes (50 MiB by default); larger documents are refused after.
    const response = await client.send({ method: 'GET', url: input.url, headers: { accept: 'application/json, application/yaml;q=0.9, */*;q=0.5' }, timeoutMs: 30_000, ...(signal ? { signal } : {}) });
    if (Buffer.byteLength(response.body) > MAX_OPENAPI_BYTES) throw invalid(`${maskUrl(input.url)} is larger than ${MAX_OPENAPI_BYTES / 1024 / 1024} MiB`, 'url');
    if (response.status >= 400) throw invalid(`${maskUrl(input.url)} answered ${response.status}, not an OpenAPI document`, 'url');
    raw = response.body;
  }
  if (typeof raw === 'string') {
    try {
      // YAML reads JSON too; its alias limit keeps a "billion laughs" document from exhausting memory.
      raw = parseYaml(raw, { maxAliasCount: 100 });
    } catch (error) {
      throw invalid(`is neither JSON nor YAML: ${(error as Error).message.split('\n')[0]}`, input.url ? 'url' : 'document');
    }
  }
  if (!isPlainObject(raw)) throw invalid('is not an OpenAPI document (an object with openapi or swagger, info and paths)', input.url ? 'url' : 'document');
  // Never a string to the parser: it would read it as a file path. Never external references: they would be fetched unguarded.
  const options = { resolve: { external: false, file: false }, dereference: { circular: 'ignore' as const } };
  const field = input.url ? 'url' : 'document';
  try {
    const result = await validate(structuredClone(raw) as never, options);
    if (!result.valid) throw invalid(`is not a valid OpenAPI document: ${result.errors.slice(0, 3).map((e) => e.message.split('\n')[0]).join('; ')}`, field);
    const doc = (await dereference(structuredClone(raw) as never, options)) as unknown as Schema;
    return { doc, source: input.url };
  } catch (error) {
    if (error instanceof UserError) throw error;
    // The parser's own failures (a broken $ref) are the document's fault.
    throw invalid(`cannot be read: ${(error as Error).message.split('\n')[0]}`, field);
  }
}

function operationsOf(doc: Schema): { key: string; path: string; op: Operation; shared: unknown[] }[] {
  const paths = isPlainObject(doc.paths) ? doc.paths : {};
  return Object.entries(paths).flatMap(([path, item]) => {
    if (!isPlainObject(item) || !isPlainObject(item.get)) return [];
    return [{ key: `GET ${path}`, path, op: item.get as Operation, shared: Array.isArray(item.parameters) ? item.parameters : [] }];
  });
}

const paramsOf = (op: Operation, shared: unknown[]) => {
  const own = (op.parameters ?? []).filter(isPlainObject);
  const names = new Set(own.map((p) => `${String(p.in)}:${String(p.name)}`));
  return [...own, ...shared.filter(isPlainObject).filter((p) => !names.has(`${String(p.in)}:${String(p.name)}`))] as Schema[];
};
const typeOfParam = (p: Schema) => (isPlainObject(p.schema) ? (p.schema.type as string | undefined) : (p.type as string | undefined)) ?? null;

/**
 * An OpenAPI document as connections: without `operation`, its GET operations with their parameters;
 * with one, the connection prefilled from it: base URL and path parameters, auth from its security
 * scheme, pagination from parameter and response field names, records, field types, key and incremental
 * cursor (with the query parameter that filters on it) from the response schema. Each with evidence.
 */
export async function importOpenApi(input: OpenApiInput, client: HttpClient, options: { signal?: AbortSignal | undefined } = {}): Promise<OpenApiAnswer> {
  const { doc, source } = await load(input, client, options.signal);
  const ops = operationsOf(doc);
  const operations: OperationSummary[] = ops.map(({ key, op, shared }) => ({
    key,
    operationId: op.operationId ?? null,
    summary: op.summary ?? null,
    parameters: paramsOf(op, shared).map((p) => ({ name: String(p.name), in: String(p.in), required: p.required === true, type: typeOfParam(p) })),
  }));
  if (!input.operation) return { operations };
  const chosen = ops.find((o) => o.key.toLowerCase() === input.operation!.toLowerCase() || o.op.operationId === input.operation);
  if (!chosen) throw invalid(`has no GET operation ${JSON.stringify(input.operation)}; its GET operations: ${ops.slice(0, 20).map((o) => o.key).join(', ')}`, 'operation');
  return { operations, ...propose(doc, chosen, source) };
}

function serverUrl(doc: Schema, source: string | undefined): string {
  if (typeof doc.swagger === 'string') {
    const schemes = Array.isArray(doc.schemes) ? (doc.schemes as string[]) : [];
    const host = typeof doc.host === 'string' ? doc.host : source ? new URL(source).host : undefined;
    if (!host) throw invalid('names no host; a connection needs the API\'s address');
    return `${schemes.includes('https') || schemes.length === 0 ? 'https' : schemes[0]}://${host}${typeof doc.basePath === 'string' ? doc.basePath : ''}`;
  }
  const server = Array.isArray(doc.servers) ? (doc.servers.find(isPlainObject) as Schema | undefined) : undefined;
  let url = typeof server?.url === 'string' ? server.url : '/';
  if (isPlainObject(server?.variables)) {
    for (const [name, v] of Object.entries(server.variables)) if (isPlainObject(v) && v.default !== undefined) url = url.replaceAll(`{${name}}`, String(v.default));
  }
  try {
    return new URL(url, source).href.replace(/\/$/, '');
  } catch {
    throw invalid(`names the server ${JSON.stringify(url)}, not an absolute address; import it from its URL, or give its servers an absolute url`);
  }
}

/** The JSON response schema of an operation's success answer. */
function responseSchema(op: Operation): Schema | undefined {
  const responses = op.responses ?? {};
  const ok = ['200', '201', '2XX', '2xx', 'default'].map((k) => responses[k]).find(isPlainObject) as Schema | undefined;
  if (!ok) return undefined;
  if (isPlainObject(ok.schema)) return ok.schema; // Swagger 2
  if (!isPlainObject(ok.content)) return undefined;
  const entry = Object.entries(ok.content).find(([type]) => /json/i.test(type)) ?? Object.entries(ok.content)[0];
  return entry && isPlainObject(entry[1]) && isPlainObject(entry[1].schema) ? entry[1].schema : undefined;
}

/** An object schema's properties, allOf members merged. */
function propertiesOf(schema: Schema | undefined, depth = 0): Record<string, Schema> {
  if (!schema || depth > 5) return {};
  const own = isPlainObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
  const merged = Array.isArray(schema.allOf) ? Object.assign({}, ...schema.allOf.filter(isPlainObject).map((s) => propertiesOf(s as Schema, depth + 1))) : {};
  return { ...merged, ...own };
}

const isArrayOfObjects = (s: Schema | undefined) => s?.type === 'array' && isPlainObject(s.items) && (s.items.type === 'object' || isPlainObject(s.items.properties) || Array.isArray(s.items.allOf));

function columnType(s: Schema): ColumnType {
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : (s.type as string | undefined);
  switch (type) {
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return s.format === 'date-time' ? 'timestamp' : s.format === 'date' ? 'date' : 'string';
    case 'object':
    case 'array':
      return 'json';
    default:
      return isPlainObject(s.properties) ? 'json' : 'string';
  }
}

/** Every scalar field of a response schema outside the records, with its JSONPath: where next links, cursors and totals live. */
function fieldsOf(schema: Schema | undefined, skip: string | undefined): { path: string; key: string; parent: string; schema: Schema }[] {
  const out: { path: string; key: string; parent: string; schema: Schema }[] = [];
  const visit = (s: Schema | undefined, segments: string[]) => {
    if (!s || segments.length > 4) return;
    for (const [key, prop] of Object.entries(propertiesOf(s))) {
      const at = [...segments, key];
      const path = jsonPathOf(at);
      if (path === skip) continue;
      if (prop.type === 'object' || isPlainObject(prop.properties)) visit(prop, at);
      else if (prop.type !== 'array') out.push({ path, key, parent: segments.at(-1) ?? '', schema: prop });
    }
  };
  visit(schema, []);
  return out;
}

function propose(doc: Schema, chosen: { key: string; path: string; op: Operation; shared: unknown[] }, source: string | undefined): OpenApiProposal {
  const needs: OpenApiProposal['needs'] = [];
  const params = paramsOf(chosen.op, chosen.shared);
  const baseUrl = `${serverUrl(doc, source)}${chosen.path}`;
  const parameters: Parameter[] = [];
  const example = (p: Schema) => {
    const s = isPlainObject(p.schema) ? p.schema : p;
    const v = p.example ?? s.default ?? s.example;
    return v === undefined ? '' : String(v);
  };
  for (const p of params.filter((p) => p.in === 'path')) {
    const value = example(p);
    parameters.push({ name: String(p.name), in: 'path', value });
    if (value === '') needs.push({ field: `parameters.${parameters.length - 1}.value`, message: `a value for the path parameter ${String(p.name)}` });
  }

  // Records.
  const response = responseSchema(chosen.op);
  let recordsPath: string | undefined;
  let itemSchema: Schema | undefined;
  let recordsFinding: Finding<string | null>;
  if (isArrayOfObjects(response)) {
    itemSchema = response!.items as Schema;
    recordsFinding = { value: null, confidence: 'high', evidence: ['the response schema is an array of objects: the records themselves'] };
  } else {
    const arrays = Object.entries(propertiesOf(response)).filter(([, s]) => isArrayOfObjects(s));
    const nested = arrays.length === 0 ? Object.entries(propertiesOf(response)).flatMap(([k, s]) => Object.entries(propertiesOf(s)).filter(([, c]) => isArrayOfObjects(c)).map(([c, cs]) => [`${k}.${c}`, cs] as const)) : [];
    const all = [...arrays, ...nested];
    const best = all.find(([k]) => RECORD_NAMES.has(normalKey(k.split('.').at(-1)!))) ?? all[0];
    if (best) {
      recordsPath = jsonPathOf(best[0].split('.'));
      itemSchema = (best[1] as Schema).items as Schema;
      recordsFinding = {
        value: recordsPath,
        confidence: all.length === 1 || RECORD_NAMES.has(normalKey(best[0].split('.').at(-1)!)) ? 'high' : 'medium',
        evidence: [`the response schema's ${best[0]} is an array of objects`, ...all.filter((a) => a !== best).map(([k]) => `also an array of objects: ${k}`)],
        alternatives: all.filter((a) => a !== best).map(([k]) => jsonPathOf(k.split('.'))),
      };
    } else recordsFinding = { value: null, confidence: 'low', evidence: [response ? 'the response schema holds no array of objects: one record per answer' : 'the operation documents no JSON response'] };
  }

  // Fields, key, incremental cursor.
  const namer = new ColumnNamer();
  const props = Object.entries(propertiesOf(itemSchema));
  const required = new Set(Array.isArray(itemSchema?.required) ? (itemSchema!.required as string[]) : []);
  const fieldMappings = props.map(([key, s]) => ({ source: pathFor(key), target: namer.nameFor(key), type: columnType(s), required: false }));
  const columnOf = new Map(props.map(([key], i) => [key, fieldMappings[i]!.target]));
  const idKey = props.map(([k]) => k).find((k) => /^(id|_id|uuid|guid)$/i.test(k)) ?? props.map(([k]) => k).find((k) => /(_id|Id)$/.test(k) && required.has(k));
  const primaryKey: Finding<string | null> = idKey
    ? { value: idKey, confidence: idKey === 'id' ? 'high' : 'medium', evidence: [`the record schema has ${idKey}${required.has(idKey) ? ', required' : ''}`] }
    : { value: null, confidence: 'none', evidence: ['the record schema has no id-like field'] };
  const stamps = props.filter(([, s]) => columnType(s) === 'timestamp').map(([k]) => k);
  const cursorField = stamps.find((k) => /updated|modified|changed/i.test(k)) ?? stamps.find((k) => /created/i.test(k));
  const sinceParam = params.find((p) => p.in === 'query' && /^(updated|modified|changed)[_-]?(since|after|from|at[_-]?(min|gte|from))$|^since$|^(updated_at|modified_at)\[(gte|gt|from)\]$|^(start_time|from|modified_since|if_modified_since)$/i.test(String(p.name)));
  if (cursorField && sinceParam) parameters.push({ name: String(sinceParam.name), in: 'query', value: '{{ cursor }}' });
  const incremental: OpenApiProposal['findings']['incremental'] = cursorField
    ? {
        value: { cursorField, parameter: sinceParam ? String(sinceParam.name) : null },
        confidence: sinceParam ? 'high' : 'medium',
        evidence: [
          `${cursorField} is a date-time in the record schema`,
          sinceParam
            ? `the query parameter ${String(sinceParam.name)} filters on it: sent as {{ cursor }}, the highest ${cursorField} of the last run`
            : 'no query parameter of the operation filters on it: each run reads everything, and the cursor is only remembered',
        ],
      }
    : { value: null, confidence: 'none', evidence: ['no date-time field in the record schema'] };

  // Pagination, from parameter names and the response schema.
  const query = params.filter((p) => p.in === 'query');
  const queryNamed = (names: Set<string>) => query.find((p) => names.has(normalKey(String(p.name))));
  const fields = fieldsOf(response, recordsPath);
  const fieldNamed = (names: Set<string> | ((k: string) => boolean)) => fields.find((f) => (typeof names === 'function' ? names(normalKey(f.key)) : names.has(normalKey(f.key))));
  const nextUrl = fields.find((f) => (NEXT_URL_KEYS.has(normalKey(f.key)) || (['href', 'link', 'url'].includes(normalKey(f.key)) && normalKey(f.parent) === 'next')) && (f.schema.type === 'string' || f.schema.format === 'uri'));
  const cursorField_ = fieldNamed((k) => k in CURSOR_KEYS && k !== 'next');
  const hasMore = fieldNamed(HAS_MORE_KEYS);
  const cursorParam = query.find((p) => /^(cursor|after|page_?token|pagetoken|starting_after|continuation(_?token)?|marker|pagination_token|next_?token|scroll_id)$/i.test(String(p.name)));
  const pageParam = queryNamed(PAGE_KEYS);
  const sizeParam = queryNamed(PAGE_SIZE_KEYS);
  const offsetParam = queryNamed(OFFSET_KEYS);
  const limitParam = queryNamed(LIMIT_KEYS);
  const totalPages = fieldNamed(TOTAL_PAGES_KEYS);
  const total = fieldNamed((k) => TOTAL_KEYS.has(k) && k !== 'value');
  const linkHeader = Object.values(chosen.op.responses ?? {}).some((r) => isPlainObject(r) && isPlainObject(r.headers) && Object.keys(r.headers).some((h) => h.toLowerCase() === 'link'));
  const size = (p: Schema | undefined) => {
    const s = p && isPlainObject(p.schema) ? p.schema : p;
    const n = Number(s?.default ?? s?.maximum ?? 100);
    return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : 100;
  };
  let pagination: PaginationConfig | null = null;
  let why = '';
  if (nextUrl) {
    pagination = { type: 'nextUrl', nextUrlPath: nextUrl.path };
    why = `the response schema's ${nextUrl.path} holds the next page's URL`;
  } else if (cursorField_ && cursorParam) {
    pagination = { type: 'cursor', cursorPath: cursorField_.path, cursorParam: String(cursorParam.name), cursorIn: 'query', ...(hasMore ? { hasMorePath: hasMore.path } : {}) };
    why = `the response has a cursor at ${cursorField_.path} and the operation takes ?${String(cursorParam.name)}=`;
  } else if (hasMore && cursorParam && recordsPath && idKey) {
    pagination = { type: 'cursor', cursorPath: `${recordsPath}[-1].${idKey}`, cursorParam: String(cursorParam.name), cursorIn: 'query', hasMorePath: hasMore.path };
    why = `the response says ${hasMore.path} and the operation takes ?${String(cursorParam.name)}=: the next page starts after the last record's ${idKey}`;
  } else if (linkHeader) {
    pagination = { type: 'linkHeader', rel: 'next' };
    why = 'the response documents a Link header';
  } else if (pageParam) {
    pagination = {
      type: 'page',
      pageParam: String(pageParam.name),
      startPage: Number((isPlainObject(pageParam.schema) ? pageParam.schema.minimum : undefined) ?? 1) === 0 ? 0 : 1,
      ...(sizeParam ? { sizeParam: String(sizeParam.name), pageSize: size(sizeParam) } : {}),
      ...(totalPages ? { totalPagesPath: totalPages.path } : {}),
    };
    why = `the operation takes ?${String(pageParam.name)}=${sizeParam ? ` and ?${String(sizeParam.name)}=` : ''}`;
  } else if (offsetParam) {
    pagination = { type: 'offset', offsetParam: String(offsetParam.name), limitParam: limitParam ? String(limitParam.name) : 'limit', limit: size(limitParam), ...(total ? { totalPath: total.path } : {}) };
    why = `the operation takes ?${String(offsetParam.name)}=${limitParam ? ` and ?${String(limitParam.name)}=` : ''}`;
  }
  const paginationFinding: Finding<PaginationConfig | null> = pagination
    ? { value: pagination, confidence: 'medium', evidence: [why, 'read from the document, not verified: Detect on the proposal reads the pages to check'] }
    : cursorParam || limitParam
      ? { value: null, confidence: 'none', evidence: [`the operation takes ${[cursorParam, limitParam].filter(Boolean).map((p) => `?${String(p!.name)}=`).join(' and ')}, but the response schema does not say where the next page is`] }
      : { value: { type: 'none' }, confidence: 'medium', evidence: ['the operation takes no paging parameter and the response has no next link or cursor'] };
  if (!pagination && (cursorParam || limitParam)) needs.push({ field: 'apiConfig.pagination', message: 'how this operation pages: its parameters suggest it does, its response does not say how' });

  // Auth, from the operation's (or the document's) first security requirement.
  const { auth, authFinding } = authOf(doc, chosen.op, needs);
  const name = (chosen.op.summary ?? chosen.path.split('/').filter((s) => s && !s.includes('{')).at(-1) ?? 'Records').slice(0, 200);
  const table = toColumnName(chosen.path.split('/').filter((s) => s && !s.includes('{') && !/^v\d+$/.test(s)).at(-1) ?? 'records');
  return {
    proposal: {
      name,
      apiConfig: { baseUrl, method: 'GET', headers: {}, auth, pagination: pagination ?? { type: 'none' }, ...(recordsPath ? { recordsPath } : {}) },
      parameters,
      fieldMappings,
      destination: idKey ? { table, writeMode: 'upsert', primaryKey: [columnOf.get(idKey)!] } : { table, writeMode: 'append' },
      ...(cursorField ? { incremental: { cursorField } } : {}),
    },
    findings: {
      recordsPath: recordsFinding,
      pagination: paginationFinding,
      fieldMappings: { value: fieldMappings.length, confidence: fieldMappings.length > 0 ? 'high' : 'none', evidence: [`${fieldMappings.length} fields typed from the record schema (format date-time → timestamp, date → date)`] },
      primaryKey,
      incremental,
      auth: authFinding,
    },
    needs,
  };
}

function authOf(doc: Schema, op: Operation, needs: OpenApiProposal['needs']): { auth: OpenApiProposal['proposal']['apiConfig']['auth']; authFinding: Finding<string> } {
  const requirements = (op.security ?? (doc.security as Record<string, string[]>[] | undefined) ?? []).filter(isPlainObject);
  const schemes = (isPlainObject(doc.components) && isPlainObject(doc.components.securitySchemes) ? doc.components.securitySchemes : isPlainObject(doc.securityDefinitions) ? doc.securityDefinitions : {}) as Record<string, Schema>;
  const first = requirements.map((r) => Object.entries(r)[0]).find(Boolean);
  if (!first) return { auth: { type: 'none' }, authFinding: { value: 'none', confidence: 'high', evidence: ['the operation requires no security scheme'] } };
  const [schemeName, scopes] = first;
  const scheme = schemes[schemeName];
  const need = (field: string, what: string) => needs.push({ field: `apiConfig.auth.${field}`, message: what });
  const found = (value: string, evidence: string) => ({ value, confidence: 'high' as const, evidence: [`security scheme ${schemeName}: ${evidence}`] });
  if (scheme && (scheme.type === 'http' || scheme.type === 'basic')) {
    if (scheme.type === 'basic' || String(scheme.scheme).toLowerCase() === 'basic') {
      need('username', 'the user name');
      need('password', 'the password');
      return { auth: { type: 'basic', username: '', password: '' }, authFinding: found('basic', 'HTTP Basic') };
    }
    need('token', 'the token');
    return { auth: { type: 'bearer', token: '' }, authFinding: found('bearer', 'HTTP Bearer') };
  }
  if (scheme?.type === 'apiKey' && (scheme.in === 'header' || scheme.in === 'query')) {
    need('value', `the API key (${String(scheme.name)})`);
    return { auth: { type: 'apiKey', in: scheme.in, name: String(scheme.name), value: '' }, authFinding: found('apiKey', `an API key in the ${String(scheme.in)} ${String(scheme.name)}`) };
  }
  const flows = scheme && isPlainObject(scheme.flows) ? scheme.flows : undefined;
  const cc = flows && isPlainObject(flows.clientCredentials) ? flows.clientCredentials : scheme?.flow === 'application' ? scheme : undefined;
  if (cc && typeof cc.tokenUrl === 'string') {
    need('clientId', 'the client id');
    need('clientSecret', 'the client secret');
    return {
      auth: { type: 'oauth2ClientCredentials', tokenUrl: cc.tokenUrl, clientId: '', clientSecret: '', ...(scopes?.length ? { scope: scopes.join(' ') } : {}) },
      authFinding: found('oauth2ClientCredentials', 'OAuth 2 client credentials'),
    };
  }
  needs.push({ field: 'apiConfig.auth', message: `the security scheme ${schemeName} (${String(scheme?.type ?? 'unknown')}) is not one a connection supports; choose the auth by hand` });
  return { auth: { type: 'none' }, authFinding: { value: 'none', confidence: 'low', evidence: [`security scheme ${schemeName} is ${String(scheme?.type ?? 'not described')}: not supported`] } };
}
