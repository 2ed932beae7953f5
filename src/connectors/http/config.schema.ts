import { z } from 'zod';

/**
 * The no-code description of a REST source (CONTRACT.md, Connections).
 * Every field a person fills in the connection form is here, with the
 * defaults the form shows.
 */

const HttpUrl = z
  .string()
  .trim()
  .refine(
    (v) => {
      // One check, never throwing: zod runs every refinement, even after an earlier one failed.
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute URL starting with http:// or https://' },
  );

const JsonPath = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine((v) => v.startsWith('$'), { message: 'must be a JSONPath starting with $ (for example $.data)' });

const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { message: 'must be a valid HTTP header name' });

export const AuthConfig = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('bearer'), token: z.string().min(1) }),
  z.object({ type: z.literal('basic'), username: z.string(), password: z.string() }),
  z.object({
    type: z.literal('apiKey'),
    in: z.enum(['header', 'query']),
    name: z.string().min(1).max(200),
    value: z.string().min(1),
  }),
  z.object({
    type: z.literal('oauth2ClientCredentials'),
    tokenUrl: HttpUrl,
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    scope: z.string().optional(),
    clientAuth: z.enum(['body', 'basic']).default('body'),
  }),
]);
export type AuthConfig = z.infer<typeof AuthConfig>;

const maxPages = z.number().int().positive().max(1_000_000).optional();

export const PaginationConfig = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({
    type: z.literal('page'),
    pageParam: z.string().min(1).default('page'),
    startPage: z.number().int().min(0).default(1),
    sizeParam: z.string().min(1).optional(),
    pageSize: z.number().int().positive().max(100_000).optional(),
    totalPagesPath: JsonPath.optional(),
    /** A header holding the number of pages (`X-Total-Pages`, WordPress's `X-WP-TotalPages`): reading stops there, not one page past it. */
    totalPagesHeader: HeaderName.optional(),
    maxPages,
  }),
  z.object({
    type: z.literal('offset'),
    offsetParam: z.string().min(1).default('offset'),
    limitParam: z.string().min(1).default('limit'),
    limit: z.number().int().positive().max(100_000).default(100),
    totalPath: JsonPath.optional(),
    totalHeader: HeaderName.optional(),
    maxPages,
  }),
  z.object({
    type: z.literal('cursor'),
    cursorPath: JsonPath,
    cursorParam: z.string().min(1).default('cursor'),
    /**
     * Where the cursor goes: a query parameter (the default), or a field of the JSON body,
     * `cursorParam` then being its dotted path (`variables.after`, as GraphQL APIs read it).
     */
    cursorIn: z.enum(['query', 'body']).default('query'),
    /** A flag that says more pages follow (`$.has_more`, `$..pageInfo.hasNextPage`); reading stops when it is false. */
    hasMorePath: JsonPath.optional(),
    maxPages,
  }),
  z.object({ type: z.literal('nextUrl'), nextUrlPath: JsonPath, maxPages }),
  z.object({ type: z.literal('linkHeader'), rel: z.string().min(1).default('next'), maxPages }),
]);
export type PaginationConfig = z.infer<typeof PaginationConfig>;

export const RetryConfig = z.object({
  maxAttempts: z.number().int().min(1).max(20).default(5),
  initialDelayMs: z.number().int().min(0).max(60_000).default(500),
  maxDelayMs: z.number().int().min(0).max(600_000).default(30_000),
});
export type RetryConfig = z.infer<typeof RetryConfig>;

export const ApiConfig = z.object({
  baseUrl: HttpUrl,
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH']).default('GET'),
  headers: z.record(HeaderName, z.string()).default({}),
  /** JSON body for POST-style APIs; string values are templates. */
  body: z.unknown().nullable().default(null),
  auth: AuthConfig.default({ type: 'none' }),
  pagination: PaginationConfig.default({ type: 'none' }),
  recordsPath: JsonPath.optional(),
  rateLimit: z
    .object({
      requestsPerSecond: z.number().positive().max(1000).optional(),
      concurrency: z.number().int().min(1).max(32).default(1),
    })
    .default({ concurrency: 1 }),
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  retry: RetryConfig.default({ maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000 }),
});
export type ApiConfig = z.infer<typeof ApiConfig>;
export type ApiConfigInput = z.input<typeof ApiConfig>;

export const Parameter = z.object({
  name: z.string().min(1).max(200),
  in: z.enum(['query', 'header', 'path']).default('query'),
  /** A template: `{{ last_run_at | date: '%Y-%m-%d' }}`. Rendering to '' means "do not send". */
  value: z.string().max(10_000),
});
export type Parameter = z.infer<typeof Parameter>;

/** What templates see when a request is built. */
export interface TemplateContext {
  now: Date;
  /** Start of the last successful run, or undefined. */
  lastRunAt: Date | undefined;
  /** The committed incremental cursor, or undefined. */
  cursor: string | number | undefined;
}

/**
 * Whether a header or parameter name carries a credential. Values under such
 * names are sealed at rest, masked in answers and not carried across a
 * redirect to another origin, since people paste keys into free headers too.
 */
export const looksSecret = (name: string): boolean =>
  /(authorization|token|secret|passw|api[-_]?key|apikey|access[-_]?key|cookie|signature|credential)/i.test(name);
