import type { Connection } from '../api/get-connections';
import type { ConnectionInput } from '../api/create-connection';
import type { ConnectionPatch } from '../api/update-connection';
import type { ColumnType } from '../api/preview-connection';
import { columnNameOf } from '../../../lib/column-name';

/**
 * The builder's state: every field as the person types it (numbers as text,
 * headers as rows, the body as JSON text), turned into the API's
 * configuration only when it is sent. Field names follow the API's, so the
 * API's field errors (`apiConfig.baseUrl`) land next to the right input.
 */

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH'] as const;
export const AUTH_TYPES = ['none', 'bearer', 'basic', 'apiKey', 'oauth2ClientCredentials'] as const;
export const PAGINATION_TYPES = ['none', 'page', 'offset', 'cursor', 'nextUrl', 'linkHeader'] as const;
export const WRITE_MODES = ['append', 'replace', 'upsert'] as const;
export const PARAMETER_PLACES = ['query', 'header', 'path'] as const;
export const COLUMN_TYPES: readonly ColumnType[] = ['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'json'];

/** What the API sends instead of a stored secret; sent back, it keeps the stored value. */
export const SECRET_MASK = '********';

export type AuthType = (typeof AUTH_TYPES)[number];
export type PaginationType = (typeof PAGINATION_TYPES)[number];
export type FieldMapping = NonNullable<ConnectionInput['fieldMappings']>[number];
export interface MappingRow {
  source: string;
  target: string;
  type: ColumnType;
  required: boolean;
}

export interface AuthFields {
  type: AuthType;
  token: string;
  username: string;
  password: string;
  in: 'header' | 'query';
  name: string;
  value: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  clientAuth: 'body' | 'basic';
}

export interface PaginationFields {
  type: PaginationType;
  pageParam: string;
  startPage: string;
  sizeParam: string;
  pageSize: string;
  totalPagesPath: string;
  totalPagesHeader: string;
  offsetParam: string;
  limitParam: string;
  limit: string;
  totalPath: string;
  totalHeader: string;
  cursorPath: string;
  cursorParam: string;
  /** Where the cursor goes: `query` or `body` (cursorParam is then a dotted path, `variables.after`). */
  cursorIn: string;
  hasMorePath: string;
  nextUrlPath: string;
  rel: string;
  maxPages: string;
}

export interface ConnectionForm {
  id: string;
  name: string;
  baseUrl: string;
  method: (typeof METHODS)[number];
  headers: { name: string; value: string }[];
  body: string;
  auth: AuthFields;
  pagination: PaginationFields;
  recordsPath: string;
  requestsPerSecond: string;
  timeoutMs: string;
  maxAttempts: string;
  parameters: { name: string; in: (typeof PARAMETER_PLACES)[number]; value: string }[];
  fieldMappings: MappingRow[];
  table: string;
  writeMode: (typeof WRITE_MODES)[number];
  primaryKey: string;
  cursorField: string;
}

const EMPTY_AUTH: AuthFields = {
  type: 'none',
  token: '',
  username: '',
  password: '',
  in: 'header',
  name: 'X-API-Key',
  value: '',
  tokenUrl: '',
  clientId: '',
  clientSecret: '',
  scope: '',
  clientAuth: 'body',
};

const EMPTY_PAGINATION: PaginationFields = {
  type: 'none',
  pageParam: 'page',
  startPage: '1',
  sizeParam: '',
  pageSize: '',
  totalPagesPath: '',
  totalPagesHeader: '',
  offsetParam: 'offset',
  limitParam: 'limit',
  limit: '100',
  totalPath: '',
  totalHeader: '',
  cursorPath: '',
  cursorParam: 'cursor',
  cursorIn: 'query',
  hasMorePath: '',
  nextUrlPath: '',
  rel: 'next',
  maxPages: '',
};

export const emptyForm = (): ConnectionForm => ({
  id: '',
  name: '',
  baseUrl: '',
  method: 'GET',
  headers: [],
  body: '',
  auth: { ...EMPTY_AUTH },
  pagination: { ...EMPTY_PAGINATION },
  recordsPath: '',
  requestsPerSecond: '',
  timeoutMs: '30000',
  maxAttempts: '5',
  parameters: [],
  fieldMappings: [],
  table: '',
  writeMode: 'append',
  primaryKey: '',
  cursorField: '',
});

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/**
 * The form for a connection proposed by detection or a curl command: not saved, so no id. The proposal's
 * fields replace the form's; `keepAuth` keeps the credentials already typed (detection never echoes them).
 */
export function formOfProposal(proposal: ConnectionInput, current: ConnectionForm, options: { keepAuth: boolean }): ConnectionForm {
  const next = formOf({
    ...proposal,
    id: current.id,
    orgId: '',
    parameters: proposal.parameters ?? [],
    fieldMappings: (proposal.fieldMappings ?? []).map((m) => ({ ...m, type: m.type ?? 'string', required: m.required ?? false })),
    destination: { writeMode: 'append', ...proposal.destination, table: current.table || (proposal.destination?.table ?? '') },
    cursor: null,
    lastRunAt: null,
    createdAt: '',
    updatedAt: '',
  } as Connection);
  return { ...next, id: current.id, name: current.name || next.name, auth: options.keepAuth ? current.auth : next.auth };
}

/** The form for a saved connection; masked secrets stay masked. */
export function formOf(c: Connection): ConnectionForm {
  const a = c.apiConfig;
  const auth = { ...EMPTY_AUTH, ...(a.auth as Partial<AuthFields>), type: a.auth.type };
  const p = a.pagination as Record<string, unknown> & { type: PaginationType };
  const pagination = { ...EMPTY_PAGINATION } as PaginationFields;
  for (const [k, v] of Object.entries(p)) if (k !== 'type') (pagination as unknown as Record<string, string>)[k] = text(v);
  pagination.type = p.type;
  return {
    id: c.id,
    name: c.name,
    baseUrl: a.baseUrl,
    method: a.method,
    headers: Object.entries(a.headers ?? {}).map(([name, value]) => ({ name, value })),
    body: a.body === null || a.body === undefined ? '' : JSON.stringify(a.body, null, 2),
    auth,
    pagination,
    recordsPath: a.recordsPath ?? '',
    requestsPerSecond: text(a.rateLimit?.requestsPerSecond),
    timeoutMs: text(a.timeoutMs),
    maxAttempts: text(a.retry?.maxAttempts),
    parameters: c.parameters.map((p) => ({ name: p.name, in: p.in, value: p.value })),
    fieldMappings: c.fieldMappings.map((m) => ({ source: m.source, target: m.target, type: m.type, required: m.required })),
    table: c.destination.table,
    writeMode: c.destination.writeMode,
    primaryKey: (c.destination.primaryKey ?? []).join(', '),
    cursorField: c.incremental?.cursorField ?? '',
  };
}

/** A number typed in a field, or undefined when blank (the API's default applies); text that is not a number goes through for the API to name. */
const num = (v: string): number | undefined => {
  const t = v.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : (t as unknown as number);
};
const opt = (v: string): string | undefined => (v.trim() === '' ? undefined : v.trim());
const compact = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

type ApiConfig = ConnectionInput['apiConfig'];

function authOf(a: AuthFields): NonNullable<ApiConfig['auth']> {
  switch (a.type) {
    case 'none':
      return { type: 'none' };
    case 'bearer':
      return { type: 'bearer', token: a.token };
    case 'basic':
      return { type: 'basic', username: a.username, password: a.password };
    case 'apiKey':
      return { type: 'apiKey', in: a.in, name: a.name, value: a.value };
    case 'oauth2ClientCredentials':
      return compact({
        type: 'oauth2ClientCredentials' as const,
        tokenUrl: a.tokenUrl.trim(),
        clientId: a.clientId,
        clientSecret: a.clientSecret,
        scope: opt(a.scope),
        clientAuth: a.clientAuth,
      });
  }
}

function paginationOf(p: PaginationFields): NonNullable<ApiConfig['pagination']> {
  const maxPages = num(p.maxPages);
  switch (p.type) {
    case 'none':
      return { type: 'none' };
    case 'page':
      return compact({
        type: 'page' as const,
        pageParam: opt(p.pageParam),
        startPage: num(p.startPage),
        sizeParam: opt(p.sizeParam),
        pageSize: num(p.pageSize),
        totalPagesPath: opt(p.totalPagesPath),
        totalPagesHeader: opt(p.totalPagesHeader),
        maxPages,
      });
    case 'offset':
      return compact({
        type: 'offset' as const,
        offsetParam: opt(p.offsetParam),
        limitParam: opt(p.limitParam),
        limit: num(p.limit),
        totalPath: opt(p.totalPath),
        totalHeader: opt(p.totalHeader),
        maxPages,
      });
    case 'cursor':
      return compact({
        type: 'cursor' as const,
        cursorPath: p.cursorPath.trim(),
        cursorParam: opt(p.cursorParam),
        cursorIn: p.cursorIn === 'body' ? ('body' as const) : undefined,
        hasMorePath: opt(p.hasMorePath),
        maxPages,
      });
    case 'nextUrl':
      return compact({ type: 'nextUrl' as const, nextUrlPath: p.nextUrlPath.trim(), maxPages });
    case 'linkHeader':
      return compact({ type: 'linkHeader' as const, rel: opt(p.rel), maxPages });
  }
}

/** A problem found before sending (the body is not JSON), named like the API names fields. */
export class FormProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The configuration the API takes, from the form. Throws a FormProblem for a body that is not JSON. */
export function configOf(f: ConnectionForm): ConnectionInput {
  let body: unknown = null;
  if (f.body.trim() !== '') {
    try {
      body = JSON.parse(f.body);
    } catch {
      throw new FormProblem('apiConfig.body', 'is not valid JSON');
    }
  }
  const rate = num(f.requestsPerSecond);
  const table = f.table.trim();
  const primaryKey = f.primaryKey
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return compact({
    id: opt(f.id),
    name: f.name.trim(),
    apiConfig: compact({
      baseUrl: f.baseUrl.trim(),
      method: f.method,
      headers: Object.fromEntries(f.headers.filter((h) => h.name.trim() !== '').map((h) => [h.name.trim(), h.value])),
      body,
      auth: authOf(f.auth),
      pagination: paginationOf(f.pagination),
      recordsPath: opt(f.recordsPath),
      rateLimit: rate === undefined ? undefined : { requestsPerSecond: rate },
      timeoutMs: num(f.timeoutMs),
      retry: num(f.maxAttempts) === undefined ? undefined : { maxAttempts: num(f.maxAttempts) },
    }),
    parameters: f.parameters.filter((p) => p.name.trim() !== '').map((p) => ({ name: p.name.trim(), in: p.in, value: p.value })),
    fieldMappings: f.fieldMappings.map((m) => ({ source: m.source.trim(), target: m.target.trim(), type: m.type, required: m.required })),
    destination: table ? compact({ table, writeMode: f.writeMode, primaryKey: primaryKey.length ? primaryKey : undefined }) : undefined,
    incremental: opt(f.cursorField) ? { cursorField: f.cursorField.trim() } : undefined,
  });
}

/** The PATCH for a saved connection: the whole form, without the id; no cursor field removes incremental loading. */
export function patchOf(f: ConnectionForm): ConnectionPatch {
  const { id: _id, ...config } = configOf(f);
  return { ...config, incremental: config.incremental ?? null };
}

/** Whether the form still holds a masked secret (a preview of the unsaved form could not use it). */
export function hasMaskedSecret(f: ConnectionForm): boolean {
  const a = f.auth;
  return [a.token, a.password, a.value, a.clientSecret].includes(SECRET_MASK) || f.headers.some((h) => h.value === SECRET_MASK);
}

/** One mapping row per inferred column; the source is the record's own key, found in the sample. */
export function mappingsFromSchema(schema: { name: string; type: ColumnType; nullable: boolean }[], sample: unknown[] = []): MappingRow[] {
  const keyOf = new Map<string, string>();
  for (const record of sample) {
    if (!record || typeof record !== 'object' || Array.isArray(record)) continue;
    for (const key of Object.keys(record)) if (!keyOf.has(columnNameOf(key))) keyOf.set(columnNameOf(key), key);
  }
  return schema.map((column) => ({
    source: jsonPathOf(keyOf.get(column.name) ?? column.name),
    target: column.name,
    type: column.type,
    required: !column.nullable,
  }));
}

/** `$.id`, or `$['First Name']` for a key that is not a plain name. */
export const jsonPathOf = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? `$.${key}` : `$['${key.replaceAll("'", "\\'")}']`);
