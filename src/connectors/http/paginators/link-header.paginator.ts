import LinkHeader from 'http-link-header';
import type { PaginationConfig } from '../config.schema.js';
import { resolveNext } from './next-url.paginator.js';
import { LoopGuard, type Paginator } from './paginator.js';

type LinkHeaderConfig = Extract<PaginationConfig, { type: 'linkHeader' }>;

/** Follows the `Link: <...>; rel="next"` header (RFC 8288), as GitHub's API does; stops when there is none. */
export function linkHeaderPaginator(config: LinkHeaderConfig): Paginator {
  const loop = new LoopGuard('next link');
  return {
    kind: 'sequential',
    first: (base) => base,
    next(page) {
      const header = page.headers.link;
      if (!header) return { stop: 'no_next_link' };
      let target: string | undefined;
      try {
        target = LinkHeader.parse(header).rel(config.rel)[0]?.uri;
      } catch {
        target = undefined;
      }
      if (!target) return { stop: 'no_next_link' };
      const url = resolveNext(target, page.url);
      loop.check(url.href, page.url);
      return { url };
    },
  };
}
