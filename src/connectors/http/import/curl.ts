import type { toJsonObjectWarn } from 'curlconverter';
import { UserError } from '../../../errors/index.js';
import { looksSecret, type ApiConfigInput, type AuthConfig, type Parameter } from '../config.schema.js';

/** A connection read from a curl command: the body of `POST /api/connections`, secrets in their secret fields. */
export interface CurlImport {
  proposal: {
    name: string;
    apiConfig: ApiConfigInput;
    parameters: Parameter[];
  };
  /** Where the secrets are (`apiConfig.auth.token`, `parameters.0.value`): sealed when the proposal is saved. */
  secretFields: string[];
  /** Options of the command Sluice does not carry out, each named: nothing is dropped silently. */
  warnings: { option: string; message: string }[];
  /** Options carried out in Sluice's own way (compression, redirects). */
  notes: string[];
}

/** The longest command read: a pasted command is a few kilobytes; a megabyte is not a command. */
export const MAX_CURL_COMMAND = 100_000;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH']);

/**
 * Reads a curl command as copied from an API's documentation (`-X`, `-H`, `-u`, `-d`/`--data`, `--json`,
 * `--url`, `-G`, a query string) into a connection. Parsing is curlconverter's (a Bash parser and curl's own
 * option table), never a tokenizer of ours. `Authorization: Bearer|Basic`, `-u`, and API key headers or query
 * parameters become the connection's auth; other secret-looking headers and parameters stay where they
 * were and are sealed by name when saved. Every option Sluice does not carry out is named in `warnings`.
 */
export async function importCurl(command: string): Promise<CurlImport> {
  const text = command.trim();
  if (!/^curl(\s|$)/.test(text)) throw invalid('does not start with curl');
  // Loaded when first used: its Bash parser is a native module (prebuilt for common platforms); a platform
  // without one fails this import alone, not the server's start.
  const { toJsonObjectWarn: parse } = await import('curlconverter');
  let parsed: ReturnType<typeof toJsonObjectWarn>;
  try {
    parsed = parse(text);
  } catch (error) {
    throw invalid(`cannot be read: ${firstLine((error as Error).message)}`);
  }
  const [json, curlWarnings] = parsed;
  const warnings: CurlImport['warnings'] = curlWarnings.map(([option, message]) => ({ option, message: firstLine(message) }));
  const notes: string[] = [];
  const warn = (option: string, message: string) => warnings.push({ option, message });

  let url: URL;
  try {
    url = new URL(json.raw_url);
  } catch {
    // The address is not quoted back: a mistyped one may still carry a key.
    throw invalid('has no http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`has a ${url.protocol} URL; Sluice reads http and https APIs`);
  const method = json.method.toUpperCase();
  if (!METHODS.has(method)) throw invalid(`uses ${method}; a connection reads with GET, POST, PUT or PATCH`);

  let auth: AuthConfig = { type: 'none' };
  const secretFields: string[] = [];
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(json.headers ?? {})) {
    if (value === null) continue;
    const lower = name.toLowerCase();
    if (lower === 'authorization' && auth.type === 'none') {
      const bearer = /^Bearer\s+(\S.*)$/i.exec(value.trim());
      const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(value.trim());
      if (bearer) {
        auth = { type: 'bearer', token: bearer[1]! };
        continue;
      }
      if (basic) {
        const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
          auth = { type: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
          continue;
        }
      }
    }
    if (lower !== 'authorization' && lower !== 'cookie' && looksSecret(name) && auth.type === 'none') {
      auth = { type: 'apiKey', in: 'header', name, value };
      continue;
    }
    if (lower === 'content-type' && /x-www-form-urlencoded/i.test(value) && json.data !== undefined) continue; // said below, with the body
    headers[name] = value;
  }
  if (json.auth) {
    if (json.auth_type && json.auth_type !== 'basic') warn('--' + json.auth_type, `${json.auth_type} authentication is not supported; the user name and password were kept as HTTP Basic`);
    if (auth.type === 'none') auth = { type: 'basic', username: json.auth.user, password: json.auth.password };
    else warn('--user', 'the command has both an Authorization header and -u; the header was used');
  }

  // Query parameters: an API key among them becomes the auth (when there is none yet); the others are parameters.
  const parameters: Parameter[] = [];
  for (const [name, values] of Object.entries(json.queries ?? {})) {
    for (const value of Array.isArray(values) ? values : [values]) {
      if (looksSecret(name) && auth.type === 'none') auth = { type: 'apiKey', in: 'query', name, value };
      else parameters.push({ name, in: 'query', value });
    }
  }
  // Credentials in the address (`https://user:pw@host`): a connection keeps them in auth, never in its URL.
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    if (auth.type === 'none') auth = { type: 'basic', username: user, password };
    else warn('url', 'the address carries a user name and password besides the command\'s credentials; they were left out');
  }
  const baseUrl = `${url.protocol}//${url.host}${url.pathname}`;

  let body: unknown = null;
  if (json.data !== undefined && method !== 'GET') {
    const isForm = /x-www-form-urlencoded/i.test(String(json.headers?.['Content-Type'] ?? json.headers?.['content-type'] ?? ''));
    if (typeof json.data === 'string') {
      try {
        body = JSON.parse(json.data);
      } catch {
        warn('--data', 'the body is not JSON; Sluice sends JSON bodies, so it was left out');
      }
    } else body = json.data;
    if (isForm && body !== null) warn('--data', 'the body was form-encoded; Sluice sends it as JSON with the same fields');
  }
  if (json.files) warn('--form', 'multipart form uploads (-F) are not supported; left out');
  // curlconverter writes `insecure: false` ("verify: false") when the command has -k; absent otherwise.
  if (json.insecure !== undefined) warn('--insecure', 'TLS certificate checks cannot be turned off; the connection verifies certificates');
  if (json.proxy) warn('--proxy', 'Sluice does not send through a proxy (the private-network guard must see the address); left out');
  if (json.output) warn('--output', 'the answer is read by Sluice, not written to a file; left out');
  if (json.connect_timeout !== undefined) warn('--connect-timeout', 'one timeout covers the whole request (timeoutMs); the connect timeout was left out');
  if (json.max_redirects !== undefined) warn('--max-redirs', 'Sluice follows at most 5 redirects, whatever the command says');
  if (json.aws_sigv4) warn('--aws-sigv4', 'AWS request signing is not supported; left out');
  if (json.delegation) warn('--delegation', 'Kerberos delegation is not supported; left out');
  if (json.cookies && !Object.keys(json.headers ?? {}).some((h) => h.toLowerCase() === 'cookie')) warn('--cookie', 'cookies were left out');
  if (json.compressed) notes.push('--compressed: Sluice always asks for compressed answers');
  if (json.follow_redirects) notes.push('--location: Sluice follows redirects (at most 5), dropping credentials when one leaves the host');
  if (json.include) notes.push('--include: the answer headers are read by Sluice; nothing to print');

  switch (auth.type) {
    case 'bearer':
      secretFields.push('apiConfig.auth.token');
      break;
    case 'basic':
      secretFields.push('apiConfig.auth.password');
      break;
    case 'apiKey':
      secretFields.push('apiConfig.auth.value');
      break;
    default:
      break;
  }
  for (const name of Object.keys(headers)) if (looksSecret(name)) secretFields.push(`apiConfig.headers.${name}`);
  parameters.forEach((p, i) => {
    if (looksSecret(p.name)) secretFields.push(`parameters.${i}.value`);
  });

  const apiConfig: ApiConfigInput = {
    baseUrl,
    method: method as ApiConfigInput['method'],
    headers,
    auth,
    ...(body !== null ? { body } : {}),
    ...(json.timeout !== undefined ? { timeoutMs: Math.min(600_000, Math.max(100, Math.round(json.timeout * 1000))) } : {}),
  };
  return { proposal: { name: nameFrom(url), apiConfig, parameters }, secretFields, warnings, notes };
}

const invalid = (why: string) =>
  new UserError('curl_invalid', `The curl command ${why}`, { details: { issues: [{ field: 'command', message: why }] } });

const firstLine = (text: string) => text.split('\n')[0]!.slice(0, 300);

/** A name from the address: `/v1/customers` → Customers. */
function nameFrom(url: URL): string {
  const segment = url.pathname
    .split('/')
    .filter((s) => s && !/^(v\d+|api|rest|\d+)$/i.test(s))
    .at(-1);
  const words = decodeURIComponent(segment ?? url.hostname).replace(/\.(json|xml)$/i, '').replace(/[_\-.]+/g, ' ').trim();
  return (words.charAt(0).toUpperCase() + words.slice(1)).slice(0, 200) || 'Records';
}
