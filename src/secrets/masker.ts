/**
 * Masking by value: the secrets of one extraction or one task attempt are
 * registered here, and every text that may hold what a source said (errors,
 * log lines, stored task errors, notifications, preview answers) passes
 * through `mask` before Sluice stores, logs or sends it.
 *
 * Masking by key (the audit trail's `password` fields, pino's redact paths)
 * cannot see a token that a source echoes inside an error message; masking
 * by value can, whatever the words around it.
 */

/** What a masked secret becomes; the same as the API's stand-in for a stored secret. */
export const MASK = '********';

/**
 * Shorter values are not masked: a two-letter password would mask every word
 * containing those letters, and is no secret anyway.
 */
export const MIN_SECRET_LENGTH = 4;

/** How deep `maskDeep` goes into nested objects; deeper values are returned as they are. */
const MAX_DEPTH = 32;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The forms a secret takes when a server echoes it back: as is,
 * percent-encoded (upper- or lower-case hex; `+` or `%20` for spaces, as in
 * a query or a form), inside a JSON string (with `/` escaped or not, as PHP
 * does), HTML-escaped, and base64-encoded.
 */
function encodings(secret: string): string[] {
  const percent = encodeURIComponent(secret);
  const json = JSON.stringify(secret).slice(1, -1);
  return [
    secret,
    percent,
    percent.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    new URLSearchParams({ s: secret }).toString().slice(2),
    json,
    json.replaceAll('/', '\\/'),
    escapeHtml(secret),
    Buffer.from(secret, 'utf8').toString('base64'),
  ];
}

/**
 * The secrets of one extraction or attempt. `add` registers a value (and
 * its encodings); `mask`, `maskDeep` and `maskError` replace every
 * occurrence with `********`. Cheap when nothing is registered.
 */
export class SecretMasker {
  readonly #forms = new Set<string>();
  #pattern: RegExp | null = null;
  #stale = false;

  /** Registers a secret; values shorter than MIN_SECRET_LENGTH, empty or missing are ignored. */
  add(secret: string | null | undefined): this {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) return this;
    for (const form of encodings(secret)) {
      if (form.length >= MIN_SECRET_LENGTH && !this.#forms.has(form)) {
        this.#forms.add(form);
        this.#stale = true;
      }
    }
    return this;
  }

  /** Whether no secret is registered (masking changes nothing). */
  get empty(): boolean {
    return this.#forms.size === 0;
  }

  /** The text with every registered secret replaced by the mask. */
  mask(text: string): string {
    const pattern = this.#regexp();
    return pattern ? text.replace(pattern, MASK) : text;
  }

  /**
   * A copy of `value` with every string (and object key) masked. Errors are
   * masked in place (see `maskError`) and kept as errors, so loggers still
   * serialise them as such; other class instances (dates, buffers) are
   * returned as they are. Cycles and depth are bounded.
   */
  maskDeep<T>(value: T): T {
    if (this.empty) return value;
    return this.#deep(value, 0, new WeakMap()) as T;
  }

  /**
   * Masks an error in place: its message, stack (which repeats the message),
   * `details`, and its causes. Returns the same error, so `throw
   * masker.maskError(error)` keeps its class and code.
   */
  maskError<E>(error: E): E {
    if (!this.empty) this.#error(error, 0, new WeakMap());
    return error;
  }

  #regexp(): RegExp | null {
    if (this.#stale) {
      // Longest first, so that a secret containing another is masked whole.
      const forms = [...this.#forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.#pattern = forms.length > 0 ? new RegExp(forms.join('|'), 'g') : null;
      this.#stale = false;
    }
    return this.#pattern;
  }

  #deep(value: unknown, depth: number, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
    if (seen.has(value)) return seen.get(value);
    if (value instanceof Error) return this.#error(value, depth, seen);
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      seen.set(value, copy);
      for (const item of value) copy.push(this.#deep(item, depth + 1, seen));
      return copy;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    const copy: Record<string, unknown> = {};
    seen.set(value, copy);
    for (const [key, item] of Object.entries(value)) copy[this.mask(key)] = this.#deep(item, depth + 1, seen);
    return copy;
  }

  #error(error: unknown, depth: number, seen: WeakMap<object, unknown>): unknown {
    if (!(error instanceof Error) || seen.has(error)) return error;
    seen.set(error, error);
    const e = error as Error & { details?: unknown; errors?: unknown };
    set(e, 'message', this.mask(e.message));
    if (typeof e.stack === 'string') set(e, 'stack', this.mask(e.stack));
    if (e.details !== undefined) set(e, 'details', this.#deep(e.details, depth + 1, seen));
    if (e.cause !== undefined) set(e, 'cause', this.#deep(e.cause, depth + 1, seen));
    if (Array.isArray(e.errors)) set(e, 'errors', this.#deep(e.errors, depth + 1, seen));
    return error;
  }
}

/**
 * Replaces a property of an error. `readonly` in AppError is a compile-time
 * promise only; a property that truly cannot be written (a getter of a
 * built-in error) is redefined on the instance instead.
 */
function set(target: object, key: string, value: unknown): void {
  if (Reflect.get(target, key) === value) return;
  if (!Reflect.set(target, key, value)) {
    Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
  }
}
