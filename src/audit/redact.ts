/**
 * Keys whose values are secrets wherever they appear in an input. Matched
 * case-insensitively against the key with `-` and `_` removed.
 */
/**
 * A key holds a secret when, lower-cased with `-` and `_` removed, it ends
 * with one of these: `password`, `client_secret`, `X-API-Key`, `accessToken`,
 * `Authorization` all match.
 */
const SECRET_KEY_ENDINGS = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'privatekey',
  'secretkey',
  'connectionstring',
];

export const REDACTED = '********';
const MAX_DEPTH = 6;
const MAX_STRING = 500;
const MAX_ITEMS = 50;

const isSecretKey = (key: string): boolean => {
  const normal = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEY_ENDINGS.some((ending) => normal.endsWith(ending));
};

/**
 * A bounded copy of `value` safe to store or log: secret-looking keys masked,
 * long strings cut, deep nesting and long arrays summarised. Bearer tokens
 * (`slk_...`) are masked wherever they appear, even under innocent keys.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    const masked = value.replace(/slk_[A-Za-z0-9_-]{20,}/g, REDACTED);
    return masked.length > MAX_STRING ? `${masked.slice(0, MAX_STRING)}… (${masked.length} chars)` : masked;
  }
  if (typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => redact(v, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`… ${value.length - MAX_ITEMS} more`);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSecretKey(key) && v !== null && v !== undefined && v !== '' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}
