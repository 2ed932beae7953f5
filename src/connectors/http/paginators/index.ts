import type { PaginationConfig } from '../config.schema.js';
import { cursorPaginator } from './cursor.paginator.js';
import { linkHeaderPaginator } from './link-header.paginator.js';
import { nextUrlPaginator } from './next-url.paginator.js';
import { noPagination } from './none.paginator.js';
import { offsetPaginator } from './offset.paginator.js';
import { pagePaginator } from './page.paginator.js';
import type { Paginator } from './paginator.js';

export type { Paginator, PageResult, NextPage, StopReason } from './paginator.js';

/** The paginator for a connection's `pagination` setting. */
export function createPaginator(config: PaginationConfig): Paginator {
  switch (config.type) {
    case 'none':
      return noPagination();
    case 'page':
      return pagePaginator(config);
    case 'offset':
      return offsetPaginator(config);
    case 'cursor':
      return cursorPaginator(config);
    case 'nextUrl':
      return nextUrlPaginator(config);
    case 'linkHeader':
      return linkHeaderPaginator(config);
  }
}
