import { compilePath } from '../../../mapping/index.js';
import type { PaginationConfig } from '../config.schema.js';
import { toCount, withQuery, type PageResult, type Paginator } from './paginator.js';

type OffsetConfig = Extract<PaginationConfig, { type: 'offset' }>;

/**
 * `?offset=0&limit=100`, `?offset=100...`. Stops on a page shorter than
 * `limit`, or when the total (from the body or a header) is reached.
 */
export function offsetPaginator(config: OffsetConfig): Paginator {
  const totalAt = config.totalPath ? compilePath(config.totalPath) : undefined;
  const totalHeader = config.totalHeader?.toLowerCase();
  const totalOf = (page: PageResult) => (totalAt ? toCount(totalAt(page.body)) : totalHeader ? toCount(page.headers[totalHeader]) : undefined);
  return {
    kind: 'indexed',
    request: (base, index) => withQuery(base, { [config.offsetParam]: index * config.limit, [config.limitParam]: config.limit }),
    stopAfter(page) {
      if (page.recordCount === 0) return 'empty_page';
      const total = totalOf(page);
      if (total !== undefined && (page.index + 1) * config.limit >= total) return 'total_reached';
      if (page.recordCount < config.limit) return 'short_page';
      return undefined;
    },
    pageCount(page) {
      const total = totalOf(page);
      return total === undefined ? undefined : Math.max(1, Math.ceil(total / config.limit));
    },
  };
}
