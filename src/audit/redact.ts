import { storableText } from '../db/index.js';

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
/** Deeper values become NESTED. */
const MAX_DEPTH = 6;
/** Longer strings are cut, with their length said. */
const MAX_STRING = 500;
/** More array items or object keys are summarised (`… 10 more`). */
const MAX_ITEMS = 50;
/** The characters of strings and keys one copy keeps in all; past it every array and object is summarised. */
const MAX_TOTAL = 16_384;

/** The markers of what a bounded copy left out. */
export const NESTED = '[nested]';
/** The key under which an object's left-out keys are counted. */
export const MORE_KEYS = '…';

const isSecretKey = (key: string): boolean => {
  const normal = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEY_ENDINGS.some((ending) => normal.endsWith(ending));
};

/** Sets own properties only: a key named `__proto__` stays a key, as it was in the input. */
const put = (out: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
};

/**
 * A bounded copy of `value` safe to store (as jsonb) or log: secret-looking
 * keys masked; Sluice bearer tokens (`slk_...`) masked wherever they appear,
 * even under innocent keys; NUL characters and lone surrogates (which
 * PostgreSQL refuses) written as the text `\u0000`, `\ud800`; long strings
 * cut, deep nesting, long arrays, many keys and a large whole summarised with
 * a marker saying what was left out. Its recursion is bounded by MAX_DEPTH,
 * whatever the input.
 */
export function redact(value: unknown): unknown {
  return copy(value, 0, { left: MAX_TOTAL });
}

function copy(value: unknown, depth: number, budget: { left: number }): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') {
    const masked = value.replace(/slk_[A-Za-z0-9_-]{20,}/g, REDACTED);
    const keep = Math.max(0, Math.min(MAX_STRING, budget.left));
    budget.left -= Math.min(masked.length, keep);
    // Escaped after cutting: a cut may split a surrogate pair.
    return storableText(masked.length > keep ? `${masked.slice(0, keep)}… (${masked.length} chars)` : masked);
  }
  if (typeof value !== 'object') return `[${typeof value}]`;
  if (depth >= MAX_DEPTH) return NESTED;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value) {
      if (items.length >= MAX_ITEMS || budget.left <= 0) break;
      items.push(copy(item, depth + 1, budget));
    }
    if (value.length > items.length) items.push(`… ${value.length - items.length} more`);
    return items;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value);
  let kept = 0;
  for (const [rawKey, v] of entries) {
    if (kept >= MAX_ITEMS || budget.left <= 0) break;
    const key = storableText(rawKey.length > MAX_STRING ? `${rawKey.slice(0, MAX_STRING)}… (${rawKey.length} chars)` : rawKey);
    budget.left -= key.length;
    put(out, key, isSecretKey(rawKey) && v !== null && v !== undefined && v !== '' ? REDACTED : copy(v, depth + 1, budget));
    kept++;
  }
  if (entries.length > kept) put(out, MORE_KEYS, `${entries.length - kept} more keys`);
  return out;
}
