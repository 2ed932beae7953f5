import { UserError } from '../../../errors/index.js';
import { compilePath } from '../../../mapping/index.js';
import type { PaginationConfig } from '../config.schema.js';
import { LoopGuard, type Paginator } from './paginator.js';

type NextUrlConfig = Extract<PaginationConfig, { type: 'nextUrl' }>;

/** Follows the URL found in the answer (`$.next`), absolute or relative to the current page; stops on null. */
export function nextUrlPaginator(config: NextUrlConfig): Paginator {
  const nextAt = compilePath(config.nextUrlPath);
  const loop = new LoopGuard('next URL');
  return {
    kind: 'sequential',
    first: (base) => base,
    next(page) {
      const next = nextAt(page.body);
      if (next === null || next === undefined || next === '' || next === false) return { stop: 'no_next_url' };
      if (typeof next !== 'string') {
        throw new UserError('source_bad_response', `${config.nextUrlPath} should hold the next page's URL but holds ${JSON.stringify(next).slice(0, 80)}`);
      }
      const url = resolveNext(next, page.url);
      loop.check(url.href, page.url);
      return { url };
    },
  };
}

/** Resolves a next link against the page it came from, refusing schemes other than http(s). */
export function resolveNext(next: string, current: URL): URL {
  let url: URL;
  try {
    url = new URL(next, current);
  } catch {
    throw new UserError('source_bad_response', `The next page link ${JSON.stringify(next.slice(0, 200))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError('source_bad_response', `The next page link ${JSON.stringify(next.slice(0, 200))} is not an http(s) URL`);
  }
  return url;
}
