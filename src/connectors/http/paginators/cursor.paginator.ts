import { compilePath } from '../../../mapping/index.js';
import type { PaginationConfig } from '../config.schema.js';
import { LoopGuard, withQuery, type Paginator } from './paginator.js';

type CursorConfig = Extract<PaginationConfig, { type: 'cursor' }>;

/** The next request carries the cursor found in the answer (`$.meta.next_cursor`); stops on a null or empty cursor. */
export function cursorPaginator(config: CursorConfig): Paginator {
  const cursorAt = compilePath(config.cursorPath);
  const loop = new LoopGuard('cursor');
  return {
    kind: 'sequential',
    first: (base) => base,
    next(page) {
      const cursor = cursorAt(page.body);
      if (cursor === null || cursor === undefined || cursor === '' || cursor === false) return { stop: 'no_cursor' };
      const value = typeof cursor === 'object' ? JSON.stringify(cursor) : String(cursor);
      loop.check(value, page.url);
      return { url: withQuery(page.url, { [config.cursorParam]: value }) };
    },
  };
}
