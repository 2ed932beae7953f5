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

function walkStrings(value: unknown, field: string, visit: (field: string, value: string) => void): void {
  if (typeof value === 'string') visit(field, value);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, `${field}.${i}`, visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, `${field}.${k}`, visit);
}
