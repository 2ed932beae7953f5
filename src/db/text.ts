/**
 * What PostgreSQL cannot store in `text` and `jsonb`: the NUL character
 * (`text` refuses the byte 0x00; `jsonb` refuses the escape `\u0000`) and
 * lone UTF-16 surrogates (JSON.stringify writes `"\ud800"`, which `jsonb`
 * refuses as an unsupported Unicode escape; as `text`, the driver would
 * silently turn it into U+FFFD). JavaScript strings hold both freely, so
 * every string that comes from outside is checked (the HTTP API refuses it)
 * or escaped (the audit trail keeps it) before it reaches the database.
 */

/** NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/** `\u0000`, `\ud800`: a code unit as a JSON escape, to name it in a message or keep it visibly. */
export const escapeCodeUnit = (unit: string): string => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Why PostgreSQL cannot store `s` (`the NUL character (\u0000) at position 3`),
 * or undefined when it can.
 */
export function unstorableText(s: string): string | undefined {
  const found = UNSTORABLE.exec(s);
  if (!found) return undefined;
  const what = found[0] === '\u0000' ? 'the NUL character (\\u0000)' : `a lone UTF-16 surrogate (${escapeCodeUnit(found[0])})`;
  return `${what} at position ${found.index}`;
}

/**
 * `s` with every NUL and lone surrogate written as its JSON escape in plain
 * text (`a\u0000b` becomes the six characters `\u0000` between `a` and `b`),
 * so that it can be stored and still shows what was sent.
 */
export function storableText(s: string): string {
  return UNSTORABLE.test(s) ? s.replace(UNSTORABLE_ALL, escapeCodeUnit) : s;
}

// A JSON escape of NUL or of a surrogate, preceded by an even number of backslashes (so the escape is one).
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g;

/**
 * JSON text `jsonb` accepts for any value: JSON.stringify, with each NUL and
 * lone surrogate in a string or key kept as the visible six characters of
 * its escape (as storableText does for text). JSON.stringify writes a
 * surrogate as an escape only when it is lone, so every such escape here is
 * one `jsonb` would refuse. Returns undefined for undefined.
 */
export function storableJson(value: unknown): string | undefined {
  const json = JSON.stringify(value);
  if (json === undefined || !json.includes('\\u')) return json;
  return json.replace(UNSTORABLE_ESCAPE, (_all, backslashes: string, unit: string) => `${backslashes}\\\\u${unit.toLowerCase()}`);
}
