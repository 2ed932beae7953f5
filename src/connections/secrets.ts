import { SECRET_MASK } from './mask.js';
import { looksSecret } from '../connectors/http/config.schema.js';
import { maskUrl } from '../connectors/http/transport/index.js';
import type { ConnectionConfig } from './connection.schema.js';

export { SECRET_MASK } from './mask.js';

/**
 * Where secrets sit inside a connection, as dotted pointers
 * (`apiConfig.auth.token`, `apiConfig.headers.X-Api-Key`,
 * `parameters.2.value`, `apiConfig.body.auth.api_key`). Auth secrets
 * always; free headers, parameters and string values of the request body
 * when their name looks like a credential (`looksSecret`). Body keys are
 * URI-encoded in pointers, since they may hold dots.
 */
export function secretPointers(c: ConnectionConfig): string[] {
  const pointers: string[] = [];
  const auth = c.apiConfig.auth;
  switch (auth.type) {
    case 'bearer':
      pointers.push('apiConfig.auth.token');
      break;
    case 'basic':
      pointers.push('apiConfig.auth.password');
      break;
    case 'apiKey':
      pointers.push('apiConfig.auth.value');
      break;
    case 'oauth2ClientCredentials':
      pointers.push('apiConfig.auth.clientSecret');
      break;
    case 'none':
      break;
  }
  for (const name of Object.keys(c.apiConfig.headers)) if (looksSecret(name)) pointers.push(`apiConfig.headers.${name}`);
  c.parameters.forEach((p, i) => {
    if (looksSecret(p.name)) pointers.push(`parameters.${i}.value`);
  });
  pointers.push(...bodySecretPointers(c.apiConfig.body, BODY_POINTER));
  return pointers;
}

const BODY_POINTER = 'apiConfig.body';

/** String values under credential-looking keys, anywhere in a JSON body (arrays included). */
function bodySecretPointers(node: unknown, at: string): string[] {
  if (!node || typeof node !== 'object') return [];
  const pointers: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    const pointer = `${at}.${encodeURIComponent(key).replaceAll('.', '%2E')}`;
    if (typeof value === 'string' && !Array.isArray(node) && looksSecret(key)) pointers.push(pointer);
    else pointers.push(...bodySecretPointers(value, pointer));
  }
  return pointers;
}

type Json = Record<string, unknown>;

function walk(root: Json, pointer: string): { parent: Json; key: string } | undefined {
  const parts = pointer.split('.');
  // Header names may contain dots; everything after `headers.` is the name. Body keys come encoded.
  const headers = parts.indexOf('headers');
  const keys = pointer.startsWith(`${BODY_POINTER}.`)
    ? [...parts.slice(0, 2), ...parts.slice(2).map((k) => decodeURIComponent(k))]
    : headers >= 0
      ? [...parts.slice(0, headers + 1), parts.slice(headers + 1).join('.')]
      : parts;
  let node: unknown = root;
  for (const key of keys.slice(0, -1)) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Json)[key];
  }
  if (!node || typeof node !== 'object') return undefined;
  return { parent: node as Json, key: keys[keys.length - 1]! };
}

export const getAt = (root: object, pointer: string): unknown => {
  const at = walk(root as Json, pointer);
  return at ? at.parent[at.key] : undefined;
};

export const setAt = (root: object, pointer: string, value: unknown): void => {
  const at = walk(root as Json, pointer);
  if (at) at.parent[at.key] = value;
};

/** Splits a connection into its config without secrets (stored as JSON) and the secrets (stored sealed). */
export function splitSecrets(c: ConnectionConfig): { clean: ConnectionConfig; secrets: Record<string, string> } {
  const clean = structuredClone(c);
  const secrets: Record<string, string> = {};
  for (const pointer of secretPointers(c)) {
    const value = getAt(c, pointer);
    if (typeof value === 'string') {
      secrets[pointer] = value;
      setAt(clean, pointer, SECRET_MASK);
    }
  }
  return { clean, secrets };
}

/** Puts stored secrets back into a clean config. */
export function joinSecrets(clean: ConnectionConfig, secrets: Record<string, string>): ConnectionConfig {
  const full = structuredClone(clean);
  for (const [pointer, value] of Object.entries(secrets)) setAt(full, pointer, value);
  return full;
}

/** Auth fields that are not secret; every other field of `apiConfig.auth` is masked in audit records. */
const PUBLIC_AUTH_FIELDS = new Set(['type', 'in', 'name', 'username', 'tokenUrl', 'clientId', 'scope', 'clientAuth']);

/**
 * A URL with the credentials it may carry masked: the user info and the
 * values of query parameters that look like credentials. Connections refuse
 * such URLs (validate.ts); this is for what was sent anyway (the audit
 * trail of a refused request) and for connections saved before they were
 * refused. Anything that is not a URL is returned as it is.
 */
export function maskUrlCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const secretNames = [...parsed.searchParams.keys()].filter(looksSecret);
  if (parsed.username === '' && parsed.password === '' && secretNames.length === 0) return url;
  return maskUrl(parsed, secretNames);
}

/**
 * A copy of an untrusted, possibly invalid connection body with every secret
 * masked, for the audit trail: the generic redaction goes by key names, and
 * an API key sits under the innocent name `value`.
 */
export function maskConnectionBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const copy = structuredClone(body) as Record<string, unknown>;
  const api = copy.apiConfig as Record<string, unknown> | undefined;
  if (api && typeof api === 'object') {
    if (typeof api.baseUrl === 'string') api.baseUrl = maskUrlCredentials(api.baseUrl);
    const auth = api.auth as Record<string, unknown> | undefined;
    if (auth && typeof auth === 'object') {
      for (const key of Object.keys(auth)) if (!PUBLIC_AUTH_FIELDS.has(key)) auth[key] = SECRET_MASK;
      if (typeof auth.tokenUrl === 'string') auth.tokenUrl = maskUrlCredentials(auth.tokenUrl);
    }
    const headers = api.headers as Record<string, unknown> | undefined;
    if (headers && typeof headers === 'object') {
      for (const key of Object.keys(headers)) if (looksSecret(key)) headers[key] = SECRET_MASK;
    }
    for (const pointer of bodySecretPointers(api.body, BODY_POINTER)) setAt(copy, pointer, SECRET_MASK);
  }
  if (Array.isArray(copy.parameters)) {
    for (const p of copy.parameters as Record<string, unknown>[]) {
      if (p && typeof p === 'object' && typeof p.name === 'string' && looksSecret(p.name)) p.value = SECRET_MASK;
    }
  }
  return copy;
}
