/**
 * URLs of source APIs often carry credentials (`?api_key=...`,
 * `https://user:pass@host`). Every URL that reaches a message, a log line or
 * the preview goes through `maskUrl` first.
 */

export const MASK = '********';

/**
 * Query parameter names that hold secrets, compared without case and
 * punctuation (`X-Amz-Signature` → `xamzsignature`). A name matches when it
 * ends with one of these: `access_token`, `refresh_token`, `x-api-key`,
 * `client_secret`, `X-Amz-Signature` all do. Masking a harmless `monkey`
 * too is the cheap side of that trade.
 */
const SECRET_SUFFIXES = [
  'token',
  'key',
  'secret',
  'password',
  'passwd',
  'pwd',
  'signature',
  'sig',
  'auth',
  'authorization',
  'credential',
  'credentials',
];

const squash = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

function isSecretName(name: string, extra: readonly string[]): boolean {
  const lower = name.toLowerCase();
  if (extra.some((n) => n.toLowerCase() === lower)) return true;
  const squashed = squash(name);
  return SECRET_SUFFIXES.some((suffix) => squashed.endsWith(suffix));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Masks the values of secret-looking parameters in a query string (with or without its `?`), keeping the rest byte for byte. */
function maskQuery(query: string, extra: readonly string[]): string {
  const body = query.startsWith('?') ? query.slice(1) : query;
  if (body === '') return query;
  const masked = body
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && isSecretName(safeDecode(name), extra) ? `${name}=${MASK}` : pair;
    })
    .join('&');
  return query.startsWith('?') ? `?${masked}` : masked;
}

/**
 * The URL with its secrets replaced by `********`: the userinfo password (or
 * a lone user name, which is then usually a token, as in
 * `https://sk_live_123@api.example.com`), and the values of query parameters
 * whose names look secret or are listed in `secretParamNames` (for example
 * the name of an API key sent in the query). The fragment is dropped: it is
 * never sent. Never throws; a string that is not a URL is masked as well as
 * its query can be.
 */
export function maskUrl(url: URL | string, secretParamNames: readonly string[] = []): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    const text = String(url);
    const q = text.indexOf('?');
    return q === -1 ? text : text.slice(0, q) + maskQuery(text.slice(q), secretParamNames);
  }
  // Rebuilt by hand: assigning url.search would re-encode the query and change what people see.
  let userinfo = '';
  if (parsed.password !== '') userinfo = `${parsed.username}:${MASK}@`;
  else if (parsed.username !== '') userinfo = `${MASK}@`;
  const origin = `${parsed.protocol}//${userinfo}${parsed.host}`;
  return `${origin}${parsed.pathname}${maskQuery(parsed.search, secretParamNames)}`;
}
