import LinkHeader from 'http-link-header';
import type { PaginationConfig } from '../config.schema.js';
import { isPlainObject, jsonPathOf, leavesOf, normalKey, type Leaf } from './json-walk.js';

/** A pagination style worth trying, and why. */
export interface PaginationCandidate {
  config: PaginationConfig;
  why: string;
  /** The first page itself says more pages follow (a next link, has_more, a total above the count). */
  saysMore: boolean;
  /** The first page says it is the last (a null next link, has_more false): one page is consistent. */
  saysLast: boolean;
}

export interface FirstPage {
  url: URL;
  method: string;
  requestBody: unknown;
  body: unknown;
  headers: Record<string, string>;
  recordsPath: string | undefined;
  records: Record<string, unknown>[];
}

/** What the first page says about more pages, in words, whatever the candidates. */
export interface Hints {
  candidates: PaginationCandidate[];
  /** Signs that more records exist than the first page holds. */
  moreSigns: string[];
  /** Signs that the first page is all there is. */
  lastSigns: string[];
  /** The page looks full (a round number of records, or as many as a limit asked for). */
  looksFull: boolean;
}

export const NEXT_URL_KEYS = new Set(['next', 'nexturl', 'nextlink', 'odatanextlink', 'nextpageurl', 'nextpage', 'nextrecordsurl', 'nexthref', 'nextpagelink']);
/** Cursor fields and the query parameters APIs usually take them back in, most likely first. */
export const CURSOR_KEYS: Record<string, string[]> = {
  nextcursor: ['cursor', 'next_cursor', 'after'],
  cursor: ['cursor'],
  endcursor: ['after', 'cursor'],
  nextpagecursor: ['cursor', 'page_cursor'],
  aftercursor: ['cursor', 'after'],
  after: ['after'],
  nexttoken: ['pagination_token', 'next_token', 'token', 'page_token'],
  nextpagetoken: ['pageToken', 'page_token', 'next_page_token'],
  pagetoken: ['page_token', 'pageToken'],
  continuationtoken: ['continuationToken', 'continuation_token', 'continuation'],
  continuation: ['continuation'],
  scrollid: ['scroll_id', 'scrollId'],
  nextmarker: ['marker'],
  marker: ['marker'],
  nextkey: ['start_key', 'next_key', 'key'],
  next: ['next', 'cursor', 'page_token'],
  nextstart: ['start'],
};
export const HAS_MORE_KEYS = new Set(['hasmore', 'hasnextpage', 'hasnext', 'moreavailable', 'morerecords']);
const DONE_KEYS = new Set(['done', 'islast', 'lastpage']);
export const PAGE_KEYS = new Set(['page', 'currentpage', 'pagenumber', 'pageindex', 'pagenum', 'pageno']);
export const TOTAL_PAGES_KEYS = new Set(['totalpages', 'lastpage', 'pagecount', 'numpages', 'pages', 'pagestotal']);
export const PAGE_SIZE_KEYS = new Set(['perpage', 'pagesize', 'pagelength', 'size', 'limit']);
export const OFFSET_KEYS = new Set(['offset', 'skip', 'start', 'startat', 'startindex', 'from']);
export const LIMIT_KEYS = new Set(['limit', 'maxresults', 'take', 'count', 'pagesize', 'size', 'rows', 'top', 'perpage']);
export const TOTAL_KEYS = new Set(['total', 'totalcount', 'totalsize', 'totalresults', 'totalitems', 'totalrecords', 'totalhits', 'count', 'value']);

const looksUrl = (v: unknown): v is string => typeof v === 'string' && /^(https?:\/\/|\/|\?)\S+$/i.test(v.trim());
const count = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
};
const nameOf = (leaf: Leaf) => normalKey(leaf.key);
/** A parent key as part of the name: HAL's `_links.next.href` is a next URL called `href`. */
const parentOf = (leaf: Leaf) => (leaf.segments.length >= 2 ? normalKey(leaf.segments[leaf.segments.length - 2]!) : '');
const pathOf = (leaf: Leaf) => jsonPathOf(leaf.segments);

/** The same name in the style of a key: `pageToken` beside `nextPageToken`, `page_token` beside `next_page_token`. */
function styled(param: string, key: string): string {
  if (/[a-z][A-Z]/.test(key) && param.includes('_')) return param.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return param;
}

/** Reads the first page for every sign of pagination, and orders the styles to try: the most specific first. */
export function readHints(page: FirstPage): Hints {
  const candidates: PaginationCandidate[] = [];
  const moreSigns: string[] = [];
  const lastSigns: string[] = [];
  const leaves = leavesOf(page.body);
  const n = page.records.length;
  const headers = page.headers;

  // 1. Link header (GitHub, GitLab, Shopify's page_info).
  if (headers.link) {
    let rels: string[];
    try {
      rels = LinkHeader.parse(headers.link).refs.map((r) => r.rel);
    } catch {
      rels = [];
    }
    if (rels.includes('next')) {
      moreSigns.push('a Link header with rel="next"');
      candidates.push({ config: { type: 'linkHeader', rel: 'next' }, why: 'the Link header has rel="next"', saysMore: true, saysLast: false });
    } else if (rels.some((r) => ['last', 'first', 'prev', 'previous'].includes(r))) {
      lastSigns.push(`a Link header with ${rels.map((r) => `rel="${r}"`).join(', ')} and no rel="next"`);
      candidates.push({ config: { type: 'linkHeader', rel: 'next' }, why: 'the Link header pages (no rel="next" on this one)', saysMore: false, saysLast: true });
    }
  }

  // has_more / hasNextPage flags, and done (Salesforce).
  let hasMore: { leaf: Leaf; value: boolean } | undefined;
  for (const leaf of leaves) {
    if (typeof leaf.value !== 'boolean') continue;
    if (HAS_MORE_KEYS.has(nameOf(leaf)) && !hasMore) hasMore = { leaf, value: leaf.value };
    if (DONE_KEYS.has(nameOf(leaf))) (leaf.value ? lastSigns : moreSigns).push(`${pathOf(leaf)} is ${leaf.value}`);
  }
  if (hasMore) (hasMore.value ? moreSigns : lastSigns).push(`${pathOf(hasMore.leaf)} is ${hasMore.value}`);

  // 2. A next URL in the body (JSON:API links.next, HAL _links.next.href, OData @odata.nextLink, DRF next, Salesforce nextRecordsUrl).
  for (const leaf of leaves) {
    const key = nameOf(leaf);
    const isNextName = NEXT_URL_KEYS.has(key) || ((key === 'href' || key === 'link' || key === 'url') && parentOf(leaf) === 'next');
    if (!isNextName) continue;
    if (looksUrl(leaf.value)) {
      moreSigns.push(`${pathOf(leaf)} holds a next page's address`);
      candidates.push({ config: { type: 'nextUrl', nextUrlPath: pathOf(leaf) }, why: `${pathOf(leaf)} holds the next page's URL`, saysMore: true, saysLast: false });
    } else if (leaf.value === null || leaf.value === '') {
      lastSigns.push(`${pathOf(leaf)} is ${JSON.stringify(leaf.value)}`);
      candidates.push({ config: { type: 'nextUrl', nextUrlPath: pathOf(leaf) }, why: `${pathOf(leaf)} is where a next page's URL goes (empty on this page)`, saysMore: false, saysLast: true });
    }
  }

  // 3. A cursor in the body (Slack, Twitter, Google page tokens, scroll ids, GraphQL endCursor).
  const bodyIsObject = page.method !== 'GET' && isPlainObject(page.requestBody);
  for (const leaf of leaves) {
    const key = nameOf(leaf);
    const params = CURSOR_KEYS[key];
    if (!params || looksUrl(leaf.value) || typeof leaf.value === 'boolean' || typeof leaf.value === 'object' && leaf.value !== null) continue;
    if (key === 'next' && leaf.value === null) continue; // a null `next` is read above as a next URL
    const present = leaf.value !== null && leaf.value !== '';
    const hasMorePath = hasMore ? pathOf(hasMore.leaf) : undefined;
    const saysMore = present && hasMore?.value !== false;
    const saysLast = !present || hasMore?.value === false;
    if (present) moreSigns.push(`${pathOf(leaf)} holds a cursor`);
    else lastSigns.push(`${pathOf(leaf)} is ${JSON.stringify(leaf.value)}`);
    for (const where of cursorPlaces(page, params.map((p) => styled(p, leaf.key)), bodyIsObject)) {
      candidates.push({
        config: { type: 'cursor', cursorPath: pathOf(leaf), cursorParam: where.param, cursorIn: where.in, ...(hasMorePath ? { hasMorePath } : {}) },
        why: `${pathOf(leaf)} holds a cursor, sent back as ${where.in === 'body' ? `the body's ${where.param}` : `?${where.param}=`}`,
        saysMore,
        saysLast,
      });
    }
  }

  // 4. Stripe: has_more and no cursor field; the next page starts after the last record's id.
  if (hasMore && page.recordsPath && n > 0 && !candidates.some((c) => c.config.type === 'cursor' || c.config.type === 'nextUrl')) {
    const idKey = ['id', 'uuid', 'key'].find((k) => page.records.every((r) => typeof r[k] === 'string' || typeof r[k] === 'number'));
    if (idKey) {
      for (const param of ['starting_after', 'after', 'cursor', 'since_id']) {
        candidates.push({
          config: { type: 'cursor', cursorPath: `${page.recordsPath}[-1].${idKey}`, cursorParam: param, cursorIn: 'query', hasMorePath: pathOf(hasMore.leaf) },
          why: `${pathOf(hasMore.leaf)} says whether more follow, with no cursor field: the next page starts after the last record's ${idKey} (?${param}=)`,
          saysMore: hasMore.value,
          saysLast: !hasMore.value,
        });
      }
    }
  }

  // Totals, in the body or in headers.
  let total: { value: number; path?: string; header?: string } | undefined;
  let totalPages: { value: number; path: string } | undefined;
  let current: { value: number; leaf: Leaf } | undefined;
  let size: { value: number; leaf: Leaf } | undefined;
  let offset: { value: number; leaf: Leaf } | undefined;
  let limit: { value: number; leaf: Leaf } | undefined;
  for (const leaf of leaves) {
    const key = nameOf(leaf);
    const v = count(leaf.value);
    if (v === undefined) continue;
    if (PAGE_KEYS.has(key) && !current) current = { value: v, leaf };
    else if (TOTAL_PAGES_KEYS.has(key) && !totalPages) totalPages = { value: v, path: pathOf(leaf) };
    else if (OFFSET_KEYS.has(key) && !offset) offset = { value: v, leaf };
    else if (TOTAL_KEYS.has(key) && key !== 'count' && !total && (key !== 'value' || parentOf(leaf) === 'total')) total = { value: v, path: pathOf(leaf) };
    if (PAGE_SIZE_KEYS.has(key) && !size) size = { value: v, leaf };
    if (LIMIT_KEYS.has(key) && !limit && key !== 'count') limit = { value: v, leaf };
    if (key === 'count' && offset && !limit) limit = { value: v, leaf };
  }
  // `count` is a total beside an offset or a next link (DRF), and a page size beside `start` (start/count APIs): a total only when no other is there.
  if (!total && !(offset && limit && nameOf(limit.leaf) === 'count')) {
    const c = leaves.find((l) => nameOf(l) === 'count' && count(l.value) !== undefined && leaves.some((o) => OFFSET_KEYS.has(nameOf(o)) || NEXT_URL_KEYS.has(nameOf(o))));
    if (c) total = { value: count(c.value)!, path: pathOf(c) };
  }
  for (const name of ['x-total-count', 'x-total', 'x-wp-total']) {
    const v = count(headers[name]);
    if (v !== undefined && !total) total = { value: v, header: name };
  }
  const headerPagesName = ['x-total-pages', 'x-wp-totalpages'].find((h) => count(headers[h]) !== undefined);
  const headerPages = headerPagesName ? count(headers[headerPagesName]) : undefined;
  const headerNextPage = headers['x-next-page'];
  if (total && total.value > n) moreSigns.push(`${total.path ?? total.header} says ${total.value} records in all, and the page holds ${n}`);
  if (total && total.value <= n) lastSigns.push(`${total.path ?? total.header} says ${total.value} records in all: this page holds them`);
  const pagesInAll = totalPages?.value ?? headerPages;
  if (pagesInAll !== undefined) (pagesInAll > 1 ? moreSigns : lastSigns).push(`${totalPages?.path ?? 'the X-Total-Pages header'} says ${pagesInAll} pages`);
  if (headerNextPage) moreSigns.push(`the X-Next-Page header says ${headerNextPage}`);

  const query = page.url.searchParams;
  const queryName = (names: Set<string>) => [...query.keys()].find((k) => names.has(normalKey(k)));

  // 5. Page numbers (reqres, Laravel, WordPress, GitLab headers).
  const pageQuery = queryName(PAGE_KEYS);
  const pageParams = pageQuery ? [pageQuery] : [...new Set([...(current && ['page', 'pagenumber', 'pageindex', 'pageno'].includes(nameOf(current.leaf)) ? [current.leaf.key] : []), 'page'])];
  for (const pageParam of current || pageQuery || pagesInAll !== undefined || headerNextPage ? pageParams : []) {
    const sizeQuery = queryName(PAGE_SIZE_KEYS);
    const sizeParam = sizeQuery ?? (size ? size.leaf.key : undefined);
    const pageSize = sizeQuery ? count(query.get(sizeQuery)) : size?.value;
    const startPage = pageQuery ? (count(query.get(pageQuery)) ?? 1) : current ? current.value : 1;
    candidates.push({
      config: {
        type: 'page',
        pageParam,
        startPage: Math.min(startPage, 1),
        ...(sizeParam && pageSize ? { sizeParam, pageSize } : {}),
        ...(totalPages ? { totalPagesPath: totalPages.path } : headerPagesName ? { totalPagesHeader: headerPagesName } : {}),
      },
      why: `page numbers: ${[current ? `${pathOf(current.leaf)} is ${current.value}` : '', pageQuery ? `the address has ?${pageQuery}=` : '', totalPages ? `${totalPages.path} is ${totalPages.value}` : '', headerPages !== undefined ? `X-Total-Pages is ${headerPages}` : ''].filter(Boolean).join(', ')}`,
      saysMore: (pagesInAll ?? 0) > 1 || Boolean(headerNextPage) || (total?.value ?? 0) > n,
      saysLast: pagesInAll === 1 || (total !== undefined && total.value <= n),
    });
  }

  // 6. Offsets (Jira startAt/maxResults, dummyjson skip/limit, offset/limit with X-Total-Count).
  const offsetQuery = queryName(OFFSET_KEYS);
  if (offset || offsetQuery || (total && total.value > n)) {
    const offsetParam = offsetQuery ?? offset?.leaf.key ?? 'offset';
    const limitQuery = queryName(LIMIT_KEYS);
    const limitParam = limitQuery ?? (limit ? limit.leaf.key : 'limit');
    const size = (limitQuery ? count(query.get(limitQuery)) : limit?.value) || n;
    if (size > 0) {
      candidates.push({
        config: {
          type: 'offset',
          offsetParam,
          limitParam,
          limit: Math.min(size, 100_000),
          ...(total?.path ? { totalPath: total.path } : total?.header ? { totalHeader: total.header } : {}),
        },
        why: `offsets: ${[offset ? `${pathOf(offset.leaf)} is ${offset.value}` : '', offsetQuery ? `the address has ?${offsetQuery}=` : '', limit ? `${pathOf(limit.leaf)} is ${limit.value}` : '', total ? `${total.path ?? total.header} is ${total.value}` : ''].filter(Boolean).join(', ')}`,
        saysMore: (total?.value ?? 0) > n,
        saysLast: total !== undefined && total.value <= n,
      });
    }
  }

  const looksFull = n >= 10 && (n % 5 === 0 || n === limit?.value || n === size?.value);
  return { candidates: dedupe(candidates), moreSigns, lastSigns, looksFull };
}

/** Where a cursor can go back: a query parameter, or for POST bodies (GraphQL) a field of the body. */
function cursorPlaces(page: FirstPage, params: string[], bodyIsObject: boolean): { param: string; in: 'query' | 'body' }[] {
  if (!bodyIsObject) return params.map((param) => ({ param, in: 'query' as const }));
  const body = page.requestBody as Record<string, unknown>;
  const places: { param: string; in: 'query' | 'body' }[] = [];
  // A GraphQL body's variables: one that is null or empty now is where the cursor goes.
  const variables = isPlainObject(body.variables) ? body.variables : undefined;
  const prefix = variables ? 'variables.' : '';
  const holder = variables ?? body;
  for (const [key, value] of Object.entries(holder)) {
    if ((value === null || value === '') && (params.includes(key) || /after|cursor|token/i.test(key))) places.push({ param: `${prefix}${key}`, in: 'body' });
  }
  for (const param of params) if (!places.some((p) => p.param === `${prefix}${param}`)) places.push({ param: `${prefix}${param}`, in: 'body' });
  return places;
}

/** One try per distinct style. */
function dedupe(candidates: PaginationCandidate[]): PaginationCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => {
    const key = JSON.stringify(c.config);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Styles to try when the first page says nothing of paging but looks full: `?page=2`, then an offset. */
export function blindCandidates(n: number): PaginationCandidate[] {
  return [
    { config: { type: 'page', pageParam: 'page', startPage: 1 }, why: `page 1 holds ${n} records, a round number: ?page=2 was tried`, saysMore: false, saysLast: false },
    { config: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: n }, why: `page 1 holds ${n} records, a round number: ?offset=${n} was tried`, saysMore: false, saysLast: false },
  ];
}
