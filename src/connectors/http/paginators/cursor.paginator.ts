import { compilePath } from '../../../mapping/index.js';
import type { PaginationConfig } from '../config.schema.js';
import { LoopGuard, withQuery, type Paginator } from './paginator.js';

type CursorConfig = Extract<PaginationConfig, { type: 'cursor' }>;

/**
 * The next request carries the cursor found in the answer (`$.meta.next_cursor`), as a query
 * parameter or a body field; stops on a null or empty cursor, or when `hasMorePath` says false.
 */
export function cursorPaginator(config: CursorConfig): Paginator {
  const cursorAt = compilePath(config.cursorPath);
  const hasMoreAt = config.hasMorePath ? compilePath(config.hasMorePath) : undefined;
  const loop = new LoopGuard('cursor');
  return {
    kind: 'sequential',
    first: (base) => base,
    next(page) {
      if (hasMoreAt) {
        const more = hasMoreAt(page.body);
        if (more === false || more === 'false' || more === 0) return { stop: 'no_more' };
      }
      const cursor = cursorAt(page.body);
      if (cursor === null || cursor === undefined || cursor === '' || cursor === false) return { stop: 'no_cursor' };
      const value = typeof cursor === 'object' ? JSON.stringify(cursor) : String(cursor);
      loop.check(value, page.url);
      if (config.cursorIn === 'body') return { url: page.url, bodyField: { path: config.cursorParam, value } };
      return { url: withQuery(page.url, { [config.cursorParam]: value }) };
    },
  };
}
