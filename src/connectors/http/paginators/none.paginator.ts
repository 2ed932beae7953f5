import type { Paginator } from './paginator.js';

/** One request, one page. */
export const noPagination = (): Paginator => ({
  kind: 'sequential',
  first: (base) => base,
  next: () => ({ stop: 'single_request' }),
});
