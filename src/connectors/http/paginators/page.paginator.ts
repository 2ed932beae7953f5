import { compilePath } from '../../../mapping/index.js';
import type { PaginationConfig } from '../config.schema.js';
import { toCount, withQuery, type Paginator } from './paginator.js';

type PageConfig = Extract<PaginationConfig, { type: 'page' }>;

/**
 * `?page=1&per_page=50`, `?page=2...`. Stops on an empty page, on a page
 * shorter than `pageSize` (when known), or past `totalPagesPath`.
 */
export function pagePaginator(config: PageConfig): Paginator {
  const totalPages = config.totalPagesPath ? compilePath(config.totalPagesPath) : undefined;
  const totalPagesHeader = config.totalPagesHeader?.toLowerCase();
  return {
    kind: 'indexed',
    request(base, index) {
      const params: Record<string, number> = { [config.pageParam]: config.startPage + index };
      if (config.sizeParam && config.pageSize) params[config.sizeParam] = config.pageSize;
      return withQuery(base, params);
    },
    stopAfter(page) {
      if (page.recordCount === 0) return 'empty_page';
      if (totalPages || totalPagesHeader) {
        const total = totalPages ? toCount(totalPages(page.body)) : toCount(page.headers[totalPagesHeader!]);
        // Whatever startPage is, the (index + 1)th page answered is the last when it reaches the total.
        if (total !== undefined && page.index + 1 >= total) return 'total_pages_reached';
      }
      if (config.pageSize && page.recordCount < config.pageSize) return 'short_page';
      return undefined;
    },
    pageCount(page) {
      const total = totalPages ? toCount(totalPages(page.body)) : undefined;
      return total === undefined ? undefined : Math.max(1, total);
    },
  };
}
