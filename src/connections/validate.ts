import { looksSecret } from '../connectors/http/config.schema.js';
import { checkTemplate } from '../connectors/http/templates.js';
import { AppError, type FieldIssue } from '../errors/index.js';
import { compilePath, createMapper } from '../mapping/index.js';
import type { ConnectionConfig } from './connection.schema.js';

/** Placeholders for path parameters in the base URL: `/users/{userId}/orders`. */
export const PATH_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Checks a schema-valid connection for what a schema cannot see; returns every problem, field by field. */
export function validateConnection(c: ConnectionConfig): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const template = (field: string, value: string) => {
    const problem = checkTemplate(value);
    if (problem) issues.push({ field, message: `template does not parse: ${problem}` });
  };
  const path = (field: string, value: string | undefined) => {
    if (value === undefined) return;
    try {
      compilePath(value);
    } catch (error) {
      issues.push({ field, message: (error as Error).message });
    }
  };

  const api = c.apiConfig;
  issues.push(...urlCredentialIssues('apiConfig.baseUrl', api.baseUrl));
  if (api.auth.type === 'oauth2ClientCredentials') issues.push(...urlCredentialIssues('apiConfig.auth.tokenUrl', api.auth.tokenUrl));
  for (const [name, value] of Object.entries(api.headers)) template(`apiConfig.headers.${name}`, value);
  walkStrings(api.body, 'apiConfig.body', template);
  c.parameters.forEach((p, i) => template(`parameters.${i}.value`, p.value));

  path('apiConfig.recordsPath', api.recordsPath);
  const pagination = api.pagination;
  switch (pagination.type) {
    case 'page':
      path('apiConfig.pagination.totalPagesPath', pagination.totalPagesPath);
      if (pagination.sizeParam && !pagination.pageSize) {
        issues.push({ field: 'apiConfig.pagination.pageSize', message: 'is needed when sizeParam is set' });
      }
      break;
    case 'offset':
      path('apiConfig.pagination.totalPath', pagination.totalPath);
      break;
    case 'cursor':
      path('apiConfig.pagination.cursorPath', pagination.cursorPath);
      path('apiConfig.pagination.hasMorePath', pagination.hasMorePath);
      if (pagination.cursorIn === 'body' && (api.method === 'GET' || !api.body || typeof api.body !== 'object' || Array.isArray(api.body))) {
        issues.push({ field: 'apiConfig.pagination.cursorIn', message: 'body needs a method other than GET and a JSON object body to put the cursor in' });
      }
      break;
    case 'nextUrl':
      path('apiConfig.pagination.nextUrlPath', pagination.nextUrlPath);
      break;
    case 'none':
    case 'linkHeader':
      break;
  }
  if (api.auth.type === 'basic' && api.auth.username.includes(':')) {
    issues.push({ field: 'apiConfig.auth.username', message: "cannot contain ':' (HTTP Basic separates the username from the password with it)" });
  }

  const placeholders = new Set([...decodeURI(api.baseUrl).matchAll(PATH_PLACEHOLDER)].map((m) => m[1]!));
  const pathParams = new Set(c.parameters.filter((p) => p.in === 'path').map((p) => p.name));
  c.parameters.forEach((p, i) => {
    if (p.in === 'path' && !placeholders.has(p.name)) {
      issues.push({ field: `parameters.${i}.name`, message: `path parameter ${p.name} has no {${p.name}} in apiConfig.baseUrl` });
    }
  });
  for (const name of placeholders) {
    if (!pathParams.has(name)) issues.push({ field: 'apiConfig.baseUrl', message: `{${name}} has no path parameter named ${name}` });
  }

  try {
    createMapper(c.fieldMappings);
  } catch (error) {
    const nested = error instanceof AppError ? (error.details as { issues?: FieldIssue[] } | undefined)?.issues : undefined;
    if (nested) issues.push(...nested.map((n) => ({ field: n.field.replace(/^fieldMappings\[(\d+)\]/, 'fieldMappings.$1'), message: n.message })));
    else issues.push({ field: 'fieldMappings', message: (error as Error).message });
  }
  if (c.destination?.writeMode === 'upsert' && !c.destination.primaryKey?.length) {
    issues.push({ field: 'destination.primaryKey', message: 'upsert needs primaryKey: the columns that identify a row' });
  }
  if (c.fieldMappings.length > 0 && c.destination?.primaryKey) {
    const targets = new Set(c.fieldMappings.map((m) => m.target));
    c.destination.primaryKey.forEach((column, i) => {
      if (!targets.has(column)) issues.push({ field: `destination.primaryKey.${i}`, message: `${column} is not a target of fieldMappings` });
    });
  }
  if (c.incremental?.cursorField.startsWith('$')) path('incremental.cursorField', c.incremental.cursorField);
  return issues;
}

/**
 * A URL of a connection is stored and shown as it is, so it may not carry
 * credentials: a user name or password (`https://user:pw@host`, or a token
 * as a lone user name) or a query parameter whose name looks like a
 * credential. Each has a place where it is encrypted and never shown, which
 * the message names. Refusing rather than sealing part of a URL keeps one
 * place for credentials, which every copy of the URL (logs, links, the
 * audit trail, Airflow) can then never leak.
 */
export function urlCredentialIssues(field: string, url: string): FieldIssue[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const issues: FieldIssue[] = [];
  if (parsed.username !== '' || parsed.password !== '') {
    issues.push({
      field,
      message:
        'must not contain a user name or password (the URL is stored and shown as it is); ' +
        'send them as auth {"type": "basic", "username": "...", "password": "..."} instead, where the password is encrypted and never shown',
    });
  }
  const names = new Set([...parsed.searchParams.keys()].filter(looksSecret));
  for (const name of names) {
    issues.push({
      field,
      message:
        `the query parameter ${JSON.stringify(name)} looks like a credential, and the URL is stored and shown as it is; ` +
        `send it as a parameter {"name": ${JSON.stringify(name)}, "in": "query", "value": "..."} or as auth {"type": "apiKey", "in": "query", ...} instead, where it is encrypted and never shown`,
    });
  }
  return issues;
}

function walkStrings(value: unknown, field: string, visit: (field: string, value: string) => void): void {
  if (typeof value === 'string') visit(field, value);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, `${field}.${i}`, visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, `${field}.${k}`, visit);
}
