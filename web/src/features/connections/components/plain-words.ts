/**
 * The builder's words for what the API names in its own terms: why reading
 * stopped (`no_cursor`) and which field a problem is in (`apiConfig.baseUrl`).
 */

/** How many records and pages a Test reads at most (src/connections/preview.ts). */
export const PREVIEW_RECORDS = 50;
export const PREVIEW_PAGES = 5;

/** What the builder knows of the pagination, to say which limit stopped a Test. */
export interface PaginationHints {
  type: string;
  maxPages?: string;
  cursorPath?: string;
  hasMorePath?: string;
  nextUrlPath?: string;
  rel?: string;
}

/**
 * Why a Test stopped reading, in plain words: what happened, and what it
 * means for a run. Unknown reasons come back as they are.
 */
export function stopReasonInWords(reason: string, pagination: PaginationHints): string {
  const maxPages = Number(pagination.maxPages);
  switch (reason) {
    case 'single_request':
      return 'Read in one request: no pagination is set, so a run reads this one answer too.';
    case 'empty_page':
      return 'Stopped at an empty page: the source has no more records.';
    case 'short_page':
      return 'Stopped at a page shorter than the others: that was the last page.';
    case 'total_pages_reached':
      return 'Stopped after the last page the source announced.';
    case 'total_reached':
      return 'Stopped once the total number of records the source announced was read.';
    case 'no_cursor':
      return `Stopped because the answer had no next cursor${pagination.cursorPath ? ` at ${pagination.cursorPath}` : ''}: that was the last page. If the source has more, check the cursor path.`;
    case 'no_more':
      return `Stopped because the answer said no more pages follow${pagination.hasMorePath ? ` (${pagination.hasMorePath} was false)` : ''}.`;
    case 'no_next_url':
      return `Stopped because the answer had no next URL${pagination.nextUrlPath ? ` at ${pagination.nextUrlPath}` : ''}: that was the last page. If the source has more, check the next URL path.`;
    case 'no_next_link':
      return `Stopped because the answer had no Link header with rel="${pagination.rel || 'next'}": that was the last page.`;
    case 'max_pages':
      return Number.isFinite(maxPages) && maxPages > 0 && maxPages <= PREVIEW_PAGES
        ? `Stopped after ${maxPages} ${maxPages === 1 ? 'page' : 'pages'}, the connection's "At most pages": a run stops there too.`
        : `Stopped after ${PREVIEW_PAGES} pages: a Test reads at most ${PREVIEW_PAGES}. The source may have more; a run reads every page.`;
    case 'record_limit':
      return `Stopped after the first ${PREVIEW_RECORDS} records: a Test reads no more. The source may have more; a run reads them all.`;
    default:
      return `Stopped: ${reason}`;
  }
}

const PAGINATION_LABELS: Record<string, string> = {
  pageParam: 'Page parameter',
  startPage: 'First page',
  sizeParam: 'Page size parameter',
  pageSize: 'Page size',
  totalPagesPath: 'Total pages',
  totalPagesHeader: 'Total pages header',
  offsetParam: 'Offset parameter',
  limitParam: 'Limit parameter',
  limit: 'Limit',
  totalPath: 'Total',
  totalHeader: 'Total header',
  cursorPath: 'Next cursor',
  cursorParam: 'Cursor parameter',
  cursorIn: 'Cursor sent in',
  hasMorePath: 'More pages flag',
  nextUrlPath: 'Next URL',
  rel: 'Link relation',
  maxPages: 'At most pages',
  type: 'Pagination',
};
const AUTH_LABELS: Record<string, string> = {
  type: 'Authentication type',
  token: 'Token',
  username: 'Username',
  password: 'Password',
  in: 'Key sent in',
  name: 'Key name',
  value: 'Key',
  tokenUrl: 'Token URL',
  clientId: 'Client id',
  clientSecret: 'Client secret',
  scope: 'Scope',
  clientAuth: 'Client credentials sent in',
};
const LABELS: Record<string, string> = {
  id: 'Id',
  name: 'Name',
  description: 'Description',
  'apiConfig.baseUrl': 'Base URL',
  'apiConfig.method': 'Method',
  'apiConfig.headers': 'Headers',
  'apiConfig.body': 'Body',
  'apiConfig.recordsPath': 'Records path',
  'apiConfig.rateLimit.requestsPerSecond': 'Requests per second',
  'apiConfig.timeoutMs': 'Timeout',
  'apiConfig.retry.maxAttempts': 'Attempts',
  'destination.table': 'Table',
  'destination.writeMode': 'Write mode',
  'destination.primaryKey': 'Primary key',
  'incremental.cursorField': 'Incremental cursor field',
};

/** The builder's label of a field the API names: `apiConfig.baseUrl` → "Base URL", `parameters.1.value` → "Parameter 2 value". */
export function fieldLabel(field: string): string {
  if (LABELS[field]) return LABELS[field];
  const [head, ...rest] = field.split('.');
  if (head === 'apiConfig' && rest[0] === 'auth' && rest[1]) return AUTH_LABELS[rest[1]] ?? `Authentication ${rest[1]}`;
  if (head === 'apiConfig' && rest[0] === 'pagination' && rest[1]) return PAGINATION_LABELS[rest[1]] ?? `Pagination ${rest[1]}`;
  if ((head === 'parameters' || head === 'fieldMappings') && /^\d+$/.test(rest[0] ?? '')) {
    const n = Number(rest[0]) + 1;
    const part = { name: 'name', in: 'place', value: 'value', source: 'source', target: 'column', type: 'type', required: 'required' }[rest[1] ?? ''] ?? rest.slice(1).join('.');
    return `${head === 'parameters' ? 'Parameter' : 'Mapping'} ${n}${part ? ` ${part}` : ''}`;
  }
  // A field under a labelled one (apiConfig.headers.Accept): the label of the nearest.
  for (let i = field.split('.').length - 1; i > 0; i--) {
    const parent = field.split('.').slice(0, i).join('.');
    if (LABELS[parent]) return `${LABELS[parent]} (${field.slice(parent.length + 1)})`;
  }
  return field;
}

/** "Base URL", "Base URL and Table", "Base URL, Token and Table". */
export function listInWords(items: string[]): string {
  const unique = [...new Set(items)];
  if (unique.length <= 1) return unique.join('');
  return `${unique.slice(0, -1).join(', ')} and ${unique.at(-1)}`;
}
