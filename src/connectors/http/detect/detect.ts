import { z } from 'zod';
import { SecretMasker } from '../../../secrets/index.js';
import { FieldMapping, toColumnName } from '../../../mapping/index.js';
import { ApiConfig, AuthConfig, looksSecret, type PaginationConfig } from '../config.schema.js';
import { HttpExtraction, type RequestLogEntry } from '../extract.js';
import type { PageResult } from '../paginators/index.js';
import type { HttpClient } from '../transport/index.js';
import { proposeFields } from './fields.js';
import type { Finding } from './finding.js';
import { blindCandidates, readHints, type PaginationCandidate } from './hints.js';
import { isPlainObject } from './json-walk.js';
import { chooseRecords } from './records.js';

/** What `POST /api/connections/detect` reads: an address and what it takes to be let in. */
export const DetectInput = z.object({
  url: ApiConfig.shape.baseUrl,
  method: ApiConfig.shape.method,
  auth: AuthConfig.default({ type: 'none' }),
  headers: ApiConfig.shape.headers,
  /** For POST APIs (GraphQL): the JSON body of the first request. */
  body: ApiConfig.shape.body,
});
export type DetectInput = z.infer<typeof DetectInput>;

export interface DetectQuestion {
  /** The part of the proposal the question is about. */
  about: 'recordsPath' | 'pagination' | 'primaryKey';
  question: string;
  /** What the first pages showed. */
  saw: string[];
}

/** A proposed connection: the body of `POST /api/connections`, secrets given back as ******** to be sent again. */
export interface ConnectionProposal {
  name: string;
  apiConfig: ApiConfig;
  parameters: { name: string; in: 'query' | 'header' | 'path'; value: string }[];
  fieldMappings: FieldMapping[];
  destination: { table: string; writeMode: 'append' | 'upsert'; primaryKey?: string[] };
  incremental?: { cursorField: string };
}

export interface DetectResult {
  proposal: ConnectionProposal;
  findings: {
    recordsPath: Finding<string | null>;
    pagination: Finding<PaginationConfig | null>;
    fieldMappings: Finding<number>;
    primaryKey: Finding<{ field: string; column: string } | null>;
    incremental: Finding<{ cursorField: string } | null>;
  };
  questions: DetectQuestion[];
  /** The first records of the first page, as the API sent them. */
  sample: unknown[];
  requests: RequestLogEntry[];
}

/** Pages a style is followed for to verify it (the first page again, then two more). */
export const DETECT_PAGES = 3;
/** The most requests one detection sends, however many styles it tries. */
export const DETECT_MAX_REQUESTS = 24;
const SAMPLE = 5;
const MASK = '********';

type Page = PageResult & { records: unknown[] };

interface Verdict {
  outcome: 'verified' | 'last' | 'rejected';
  evidence: string;
  pages: Page[];
}

/**
 * Works a connection out of one address: reads the first page, finds the records, tries the pagination
 * styles the answer hints at (and, when a full page hints at nothing, `?page=2` and an offset), keeping the
 * first whose second page differs from the first and continues it, and proposes field types, a primary key
 * and an incremental cursor from every record read. Every request goes through the same guarded transport,
 * credentials, rate limit and retries as a run. What it cannot decide it asks: it never proposes one page
 * where the first page says there are more.
 */
export async function detectConnection(input: DetectInput, client: HttpClient, options: { signal?: AbortSignal | undefined } = {}): Promise<DetectResult> {
  const secrets = new SecretMasker();
  try {
    return secrets.maskDeep(await detect(input, client, secrets, options.signal));
  } catch (error) {
    throw secrets.maskError(error);
  }
}

async function detect(input: DetectInput, client: HttpClient, secrets: SecretMasker, signal: AbortSignal | undefined): Promise<DetectResult> {
  const api = ApiConfig.parse({ baseUrl: input.url, method: input.method, auth: input.auth, headers: input.headers, body: input.body });
  const requests: RequestLogEntry[] = [];
  let sent = 0;

  const read = async (pagination: PaginationConfig, recordsPath: string | undefined, maxPages: number) => {
    const pages: Page[] = [];
    const extraction = new HttpExtraction(
      { apiConfig: { ...api, pagination, recordsPath }, parameters: [] },
      { now: new Date(), lastRunAt: undefined, cursor: undefined },
      client,
      { signal, secrets, maxPages, onPage: (p) => pages.push(p as Page) },
    );
    let error: unknown;
    try {
      for await (const batch of extraction.batches()) void batch;
    } catch (e) {
      error = e;
    } finally {
      sent += extraction.requestCount;
      requests.push(...extraction.requests);
    }
    return { pages, error, stopReason: extraction.stopReason };
  };

  // The first page: any failure here is the answer (auth refused, not JSON, blocked), as in a preview.
  const first = await read({ type: 'none' }, undefined, 1);
  if (first.error) throw first.error;
  const page1 = first.pages[0]!;
  const records = chooseRecords(page1.body);
  const hints = readHints({
    url: page1.url,
    method: api.method,
    requestBody: api.body,
    body: page1.body,
    headers: page1.headers,
    recordsPath: records.recordsPath,
    records: records.records,
  });

  const tried: string[] = [];
  let accepted: { candidate: PaginationCandidate; verdict: Verdict } | undefined;
  const attempt = async (candidate: PaginationCandidate): Promise<Verdict | undefined> => {
    if (sent + DETECT_PAGES > DETECT_MAX_REQUESTS) return undefined;
    const run = await read({ ...candidate.config }, records.recordsPath, DETECT_PAGES);
    const verdict = judge(candidate, run, records.records);
    tried.push(`${describe(candidate.config)}: ${verdict.evidence}`);
    return verdict;
  };

  let secondPageEmpty = false;
  for (const candidate of hints.candidates) {
    const verdict = await attempt(candidate);
    if (!verdict) break;
    // 'last': the style fits and this is its only page (a null next link, an empty page 2), when nothing says more follow.
    if (verdict.outcome === 'verified' || (verdict.outcome === 'last' && hints.moreSigns.length === 0)) {
      accepted = { candidate, verdict };
      break;
    }
  }
  if (!accepted && (hints.moreSigns.length > 0 || hints.looksFull) && records.records.length > 0) {
    for (const candidate of blindCandidates(records.records.length)) {
      if (hints.candidates.some((c) => JSON.stringify(c.config) === JSON.stringify(candidate.config))) continue;
      const verdict = await attempt(candidate);
      if (!verdict) break;
      if (verdict.outcome === 'verified') {
        accepted = { candidate, verdict };
        break;
      }
      if (verdict.outcome === 'last' && hints.moreSigns.length === 0) {
        secondPageEmpty = true;
        break;
      }
    }
  }

  const questions: DetectQuestion[] = [];
  if (records.question) questions.push({ about: 'recordsPath', question: records.question, saw: records.finding.evidence });

  let pagination: Finding<PaginationConfig | null>;
  if (accepted?.verdict.outcome === 'verified') {
    pagination = {
      value: accepted.candidate.config,
      confidence: accepted.candidate.why.includes('was tried') ? 'medium' : 'high',
      evidence: [accepted.candidate.why, accepted.verdict.evidence, ...tried.slice(0, -1).map((t) => `tried first: ${t}`)],
    };
  } else if (accepted) {
    pagination = {
      value: accepted.candidate.config,
      confidence: 'medium',
      evidence: [accepted.candidate.why, accepted.verdict.evidence, ...hints.lastSigns],
    };
  } else if (hints.moreSigns.length > 0 || (hints.looksFull && !secondPageEmpty)) {
    const saw = [...hints.moreSigns, ...(hints.looksFull ? [`page 1 holds ${records.records.length} records, as many as a page size would`] : []), ...tried];
    pagination = { value: null, confidence: 'none', evidence: saw };
    questions.push({
      about: 'pagination',
      question:
        hints.moreSigns.length > 0
          ? 'The first page says more records follow, but no way of asking for the next page gave different records. How does this API page (a parameter name from its documentation)?'
          : `The first page holds ${records.records.length} records, which looks like a page size, and no way of asking for a next page gave different records. Does this API return more than one page?`,
      saw,
    });
  } else {
    pagination = {
      value: { type: 'none' },
      confidence: 'medium',
      evidence: [
        secondPageEmpty
          ? `page 1 holds ${records.records.length} records and ?page=2 answered none: everything fits on one page`
          : `page 1 holds ${records.records.length} records and says nothing of more pages (no next link, cursor, total or page number)`,
        ...hints.lastSigns,
        ...tried,
      ],
    };
  }

  // Fields from every record read: the first page, and the pages that verified the style.
  const all = (accepted ? accepted.verdict.pages.flatMap((p) => p.records) : records.records).filter(isPlainObject);
  const fields = proposeFields(all.length > 0 ? all : records.records);
  if (!fields.primaryKey.value && all.length >= 2) {
    questions.push({ about: 'primaryKey', question: 'No field identifies a record; which field is unique? Without one, each run appends the records it reads.', saw: fields.primaryKey.evidence });
  }

  const name = nameFrom(page1.url);
  const { baseUrl, auth, parameters } = credentialsOutOfUrl(api.baseUrl, maskAuth(api.auth));
  const proposal: ConnectionProposal = {
    name,
    apiConfig: {
      ...api,
      baseUrl,
      headers: maskHeaders(api.headers),
      auth,
      pagination: pagination.value ?? { type: 'none' },
      ...(records.recordsPath ? { recordsPath: records.recordsPath } : {}),
    },
    parameters,
    fieldMappings: fields.mappings.map((m) => FieldMapping.parse(m)),
    destination: fields.primaryKey.value
      ? { table: toColumnName(name), writeMode: 'upsert', primaryKey: [fields.primaryKey.value.column] }
      : { table: toColumnName(name), writeMode: 'append' },
    ...(fields.incremental.value ? { incremental: fields.incremental.value } : {}),
  };
  return {
    proposal,
    findings: { recordsPath: records.finding, pagination, fieldMappings: fields.mappingsFinding, primaryKey: fields.primaryKey, incremental: fields.incremental },
    questions,
    sample: records.records.slice(0, SAMPLE),
    requests: requests.slice(0, 100),
  };
}

/** Whether the pages a style read prove it: page 2 holds records, not those of page 1, of the same kind. */
function judge(candidate: PaginationCandidate, run: { pages: Page[]; error: unknown; stopReason: string | undefined }, first: unknown[]): Verdict {
  const { pages } = run;
  const firstCount = first.length;
  const label = describe(candidate.config);
  // The style's first request must read the page the address read: one that starts elsewhere (page=1 of a 0-based API) skips records.
  if (pages[0] && first.length > 0 && overlap(first, pages[0].records) < 0.5) {
    return { outcome: 'rejected', evidence: `its first request (${label}) reads other records than the address alone: it would skip the first page`, pages };
  }
  if (pages.length >= 2) {
    for (let i = 1; i < pages.length; i++) {
      const before = pages[i - 1]!;
      const page = pages[i]!;
      if (page.records.length === 0) {
        if (i === 1 && !candidate.saysMore) return { outcome: 'last', evidence: `page 2 (${label}) holds no records: one page`, pages: pages.slice(0, 1) };
        if (i === 1) return { outcome: 'rejected', evidence: `page 2 (${label}) holds no records, though page 1 said more follow`, pages };
        break;
      }
      if (overlap(before.records, page.records) >= 0.5) {
        return { outcome: 'rejected', evidence: `page ${i + 1} repeats page ${i}: the API does not read ${label}`, pages };
      }
      if (similarity(before.records, page.records) < 0.5) {
        return { outcome: 'rejected', evidence: `page ${i + 1} holds other kinds of objects than page ${i}`, pages };
      }
    }
    if (run.error) return { outcome: 'rejected', evidence: `reading on failed: ${(run.error as Error).message}`, pages };
    const counts = pages.map((p) => p.records.length).join(' + ');
    return { outcome: 'verified', evidence: `verified: ${pages.length} pages read (${counts} records), each different from the one before and of the same fields`, pages };
  }
  if (run.error) return { outcome: 'rejected', evidence: `the next page could not be read: ${(run.error as Error).message}`, pages };
  if (candidate.saysLast) return { outcome: 'last', evidence: `page 1 is the last one now (${run.stopReason ?? 'stopped'})`, pages };
  return { outcome: 'rejected', evidence: `reading stopped after page 1 (${run.stopReason ?? 'stopped'}) though ${firstCount} records looked like a full page`, pages };
}

const fingerprint = (r: unknown) => JSON.stringify(r);

/** The share of `next` records also on `prev`. */
function overlap(prev: unknown[], next: unknown[]): number {
  const seen = new Set(prev.map(fingerprint));
  return next.filter((r) => seen.has(fingerprint(r))).length / Math.max(1, next.length);
}

/** How alike the field names of two pages are (Jaccard). */
function similarity(a: unknown[], b: unknown[]): number {
  const keys = (rs: unknown[]) => new Set(rs.filter(isPlainObject).flatMap((r) => Object.keys(r)));
  const ka = keys(a);
  const kb = keys(b);
  if (ka.size === 0 && kb.size === 0) return 1;
  const both = [...ka].filter((k) => kb.has(k)).length;
  return both / (ka.size + kb.size - both);
}

/** A style in a few words: `?page=`, `cursor $.meta.next → ?cursor=`. */
export function describe(p: PaginationConfig): string {
  switch (p.type) {
    case 'none':
      return 'one page';
    case 'page':
      return `?${p.pageParam}=`;
    case 'offset':
      return `?${p.offsetParam}=&${p.limitParam}=${p.limit}`;
    case 'cursor':
      return `the cursor ${p.cursorPath} sent as ${p.cursorIn === 'body' ? `the body's ${p.cursorParam}` : `?${p.cursorParam}=`}`;
    case 'nextUrl':
      return `the next URL at ${p.nextUrlPath}`;
    case 'linkHeader':
      return `the Link header's rel="${p.rel}"`;
  }
}

/** A name for the connection from its address: `/v1/customers` → Customers. */
function nameFrom(url: URL): string {
  const segment = url.pathname
    .split('/')
    .filter((s) => s && !/^(v\d+|api|rest|\d+)$/i.test(s) && !s.includes('{'))
    .at(-1);
  const words = (segment ?? url.hostname).replace(/\.(json|xml)$/i, '').replace(/[_\-.]+/g, ' ').trim();
  return (words.charAt(0).toUpperCase() + words.slice(1)).slice(0, 200) || 'Records';
}

function maskAuth(auth: z.infer<typeof AuthConfig>): z.infer<typeof AuthConfig> {
  switch (auth.type) {
    case 'none':
      return auth;
    case 'bearer':
      return { ...auth, token: MASK };
    case 'basic':
      return { ...auth, password: MASK };
    case 'apiKey':
      return { ...auth, value: MASK };
    case 'oauth2ClientCredentials':
      return { ...auth, clientSecret: MASK };
  }
}

/**
 * A connection keeps no credentials in its URL (they are refused there): a user name and password in the
 * address become Basic auth, a key in the query the API key (or a sealed parameter), each masked here.
 */
function credentialsOutOfUrl(address: string, auth: z.infer<typeof AuthConfig>): { baseUrl: string; auth: z.infer<typeof AuthConfig>; parameters: ConnectionProposal['parameters'] } {
  const url = new URL(address);
  const parameters: ConnectionProposal['parameters'] = [];
  if ((url.username || url.password) && auth.type === 'none') auth = { type: 'basic', username: decodeURIComponent(url.username), password: MASK };
  url.username = '';
  url.password = '';
  for (const name of [...new Set(url.searchParams.keys())].filter(looksSecret)) {
    url.searchParams.delete(name);
    if (auth.type === 'none') auth = { type: 'apiKey', in: 'query', name, value: MASK };
    else parameters.push({ name, in: 'query', value: MASK });
  }
  return { baseUrl: url.href, auth, parameters };
}

const maskHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, looksSecret(k) ? MASK : v]));
