import { UserError } from '../../../errors/index.js';

/**
 * Why reading stopped: recorded with every extraction and shown in the preview,
 * so a person can see that it ended for the reason they expect.
 */
export type StopReason =
  | 'single_request'
  | 'empty_page'
  | 'short_page'
  | 'total_pages_reached'
  | 'total_reached'
  | 'no_cursor'
  | 'no_more'
  | 'no_next_url'
  | 'no_next_link'
  | 'max_pages'
  | 'record_limit';

/** One answered page, as the paginator sees it. */
export interface PageResult {
  /** The URL that was requested (after templating, before redirects). */
  url: URL;
  /** 0 for the first page. */
  index: number;
  body: unknown;
  headers: Record<string, string>;
  recordCount: number;
}

/** The next request: its URL and, for cursors carried in the body, the body field to set (a dotted path). */
export type NextPage = { url: URL; bodyField?: { path: string; value: string } } | { stop: StopReason };

/**
 * A pagination strategy. `sequential` ones learn the next request from the
 * previous answer (cursor, next URL, Link header). `indexed` ones can compute
 * request N up front (page number, offset), so pages may be fetched several
 * at a time; `stopAfter` tells from an answer whether it was the last.
 */
export type Paginator =
  | { kind: 'sequential'; first(base: URL): URL; next(page: PageResult): NextPage }
  | {
      kind: 'indexed';
      request(base: URL, index: number): URL;
      stopAfter(page: PageResult): StopReason | undefined;
      /** How many pages there are, when an answer says (a total of records or of pages): none is requested past them. */
      pageCount?(page: PageResult): number | undefined;
    };

/** Remembers cursors or URLs already used, so an API that repeats one stops the run instead of looping forever. */
export class LoopGuard {
  readonly #seen = new Set<string>();

  constructor(private readonly what: string) {}

  check(value: string, url: URL): void {
    if (this.#seen.has(value)) {
      throw new UserError(
        'source_pagination_loop',
        `The API returned the same ${this.what} twice (${JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value)}, answering ${url.origin}${url.pathname}); reading stopped instead of looping`,
      );
    }
    this.#seen.add(value);
  }
}

/** A copy of `base` with query parameters set (existing ones of the same name replaced). */
export function withQuery(base: URL, params: Record<string, string | number>): URL {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  return url;
}

/** Reads a non-negative integer count from a JSON value or header string; undefined when absent or not a number. */
export function toCount(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}
