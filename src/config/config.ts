/**
 * Every setting Sluice reads, parsed once at start. Nothing else in `src/`
 * reads `process.env`: parts receive the `Config` object instead.
 *
 * The seeds' variable names (`AIRFLOW_API_BASE`, `PG_HOST`, `APP_DB_USER`, ...)
 * are accepted beside Sluice's own so that existing deployments keep working.
 */
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error.js';

/** A positive integer read from an environment string. */
const intFrom = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const boolFrom = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'].includes(v), {
    message: 'must be true or false',
  })
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const urlFrom = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );

/**
 * Names safe to use inside a PostgreSQL identifier (database and schema names
 * are built from it). At most 20 characters: with an organisation id of up to
 * 40 the name stays within PostgreSQL's 63-byte limit, so it is never cut short.
 */
const identifierPrefix = z
  .string()
  .trim()
  .regex(/^[a-z_][a-z0-9_]{0,19}$/, {
    message: 'must start with a lower-case letter or _ and hold only a-z, 0-9 and _ (at most 20 characters)',
  });

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * The raw environment, variable by variable. Empty strings count as unset so
 * that `FOO=` in an `.env` file does not override a default with nothing.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).optional(),
  SLUICE_DATA_DIR: z.string().trim().min(1).optional(),
  PORT: intFrom(0, 65535).optional(),
  HOST: z.string().trim().min(1).optional(),
  SLUICE_PUBLIC_URL: urlFrom(['http:', 'https:']).optional(),
  LOG_LEVEL: logLevel.optional(),
  SLUICE_LOG_LEVEL: logLevel.optional(),

  DATABASE_URL: urlFrom(['postgres:', 'postgresql:']).optional(),
  PG_HOST: z.string().trim().min(1).optional(),
  PG_PORT: intFrom(1, 65535).optional(),
  PG_DATABASE: z.string().trim().min(1).optional(),
  APP_DB_USER: z.string().trim().min(1).optional(),
  APP_DB_PASSWORD: z.string().optional(),
  PG_DB_PREFIX: identifierPrefix.optional(),
  SLUICE_DB_POOL_MAX: intFrom(1, 1000).optional(),

  SLUICE_SECRET_KEY: z
    .string()
    .trim()
    .min(32, { message: 'must be at least 32 characters (for example `openssl rand -base64 32`)' })
    .optional(),
  SLUICE_ADMIN_EMAIL: z.email({ message: 'must be an email address' }).optional(),
  SLUICE_ADMIN_PASSWORD: z.string().min(8, { message: 'must be at least 8 characters' }).optional(),
  SLUICE_SESSION_TTL_HOURS: intFrom(1, 24 * 365).optional(),
  SLUICE_LOGIN_MAX_FAILURES: intFrom(1, 1000).optional(),
  SLUICE_LOGIN_WINDOW_MINUTES: intFrom(1, 24 * 60).optional(),
  SLUICE_LOGIN_FAILURE_DELAY_MS: intFrom(0, 60_000).optional(),
  SLUICE_CORS_ORIGINS: z.string().trim().optional(),
  SLUICE_HTTP_ALLOW_PRIVATE: boolFrom.optional(),
  SLUICE_HTTP_ALLOW_HOSTS: z.string().trim().optional(),
  SLUICE_TRUST_PROXY: boolFrom.optional(),

  MONGO_URI: urlFrom(['mongodb:', 'mongodb+srv:']).optional(),
  MONGO_DATABASE: z.string().trim().regex(/^[^/\\. "$]{1,63}$/, { message: 'must be a MongoDB database name' }).optional(),

  AIRFLOW_API_URL: urlFrom(['http:', 'https:']).optional(),
  AIRFLOW_API_BASE: urlFrom(['http:', 'https:']).optional(),
  AIRFLOW_USERNAME: z.string().optional(),
  AIRFLOW_PASSWORD: z.string().optional(),
  AIRFLOW_DAGS_FOLDER: z.string().trim().min(1).optional(),
  AIRFLOW_UI_URL: urlFrom(['http:', 'https:']).optional(),
  SLUICE_AIRFLOW_FALLBACK: z.enum(['builtin', 'fail']).optional(),
  SLUICE_AIRFLOW_SCHEDULE_GRACE_SECONDS: intFrom(0, 7 * 86_400).optional(),
  SLUICE_AIRFLOW_TOKEN: z
    .string()
    .trim()
    .min(32, { message: 'must be at least 32 characters (for example `openssl rand -base64 32`)' })
    .optional(),

  SLUICE_WORKER_CONCURRENCY: intFrom(0, 256).optional(),
  SLUICE_ORG_MAX_ACTIVE_TASKS: intFrom(1, 10_000).optional(),
  SLUICE_TASK_LEASE_SECONDS: intFrom(5, 3600).optional(),
  SLUICE_SCHEDULER: boolFrom.optional(),
  SLUICE_RUN_RETENTION_DAYS: intFrom(0, 36_500).optional(),
  SLUICE_RAW_RETENTION_DAYS: intFrom(0, 36_500).optional(),
  SLUICE_AUDIT_RETENTION_DAYS: intFrom(0, 36_500).optional(),
  SLUICE_UPLOAD_RETENTION_DAYS: intFrom(0, 36_500).optional(),

  SLUICE_FORECAST_SHARDS: intFrom(1, 64).optional(),
  SLUICE_FORECAST_THREADS: intFrom(1, 256).optional(),

  SLUICE_MAX_UPLOAD_MB: intFrom(1, 1024 * 1024).optional(),
  SLUICE_UPLOAD_DIR: z.string().trim().min(1).optional(),

  SLUICE_METRICS: boolFrom.optional(),
  SLUICE_METRICS_TOKEN: z
    .string()
    .trim()
    .min(32, { message: 'must be at least 32 characters (for example `openssl rand -base64 32`)' })
    .optional(),
  SLUICE_METRICS_ORG_LABELS: boolFrom.optional(),
  SLUICE_METRICS_DAG_LABELS: boolFrom.optional(),
  SLUICE_WORKER_METRICS_PORT: intFrom(0, 65_535).optional(),

  SMTP_URL: urlFrom(['smtp:', 'smtps:']).optional(),
  SMTP_FROM: z.string().trim().min(3).optional(),
});

export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; url: string; poolMax: number };

export interface Config {
  env: 'development' | 'production' | 'test';
  dataDir: string;
  http: {
    host: string;
    port: number;
    publicUrl: string | undefined;
    corsOrigins: string[];
    trustProxy: boolean;
  };
  logLevel: z.infer<typeof logLevel>;
  database: DatabaseConfig;
  /** Prefix of each organisation's warehouse database (server) or schema (embedded). */
  warehousePrefix: string;
  secretKey: string | undefined;
  admin: { email: string; password: string | undefined };
  auth: {
    sessionTtlHours: number;
    loginMaxFailures: number;
    loginWindowMinutes: number;
    loginFailureDelayMs: number;
  };
  /** Outbound requests to source APIs. */
  sources: {
    /** Allow loopback, private and link-local targets (tests, on-premises APIs). Default false. */
    allowPrivate: boolean;
    /** Hosts (exact names, or `*.example.com`) allowed even when they resolve to private addresses. */
    allowHosts: string[];
  };
  mongo: { uri: string; database: string } | undefined;
  airflow:
    | {
        apiUrl: string;
        username: string | undefined;
        password: string | undefined;
        dagsFolder: string | undefined;
        uiUrl: string | undefined;
        fallback: 'builtin' | 'fail';
        /**
         * With fallback `builtin`: how long Airflow must have been unreachable (or
         * unhealthy) before the builtin engine fires Airflow's schedules itself.
         */
        scheduleGraceSeconds: number;
      }
    | undefined;
  /**
   * The secret Airflow's tasks send (as SLUICE_API_TOKEN on Airflow's side)
   * when they ask Sluice to run a task; the task routes refuse everything
   * else. Unset: those routes answer 401.
   */
  airflowCallbackToken: string | undefined;
  /** The builtin orchestrator: workers, leases, the scheduler. */
  engine: {
    /** Tasks one process runs at once; 0 makes a process that only serves the API. */
    workerConcurrency: number;
    /** Tasks one organisation may have running at once, across every worker sharing the database. */
    orgMaxActiveTasks: number;
    /** How long a claimed attempt stays owned without a heartbeat before another worker fails and retries it. */
    leaseSeconds: number;
    /** Whether `sluice start` runs the CRON scheduler (`sluice worker` never does). */
    scheduler: boolean;
    /** Runs that ended longer ago than this are deleted with their tasks, attempts and logs; 0 keeps them forever. */
    runRetentionDays: number;
  };
  retention: {
    /** Raw records landed longer ago than this are deleted (loaded or not); 0 keeps them forever. */
    rawDays: number;
    /** Audit events older than this are deleted; 0 keeps them forever. */
    auditDays: number;
    /** The bytes of uploaded files loaded longer ago than this are deleted (the rows and raw records stay); 0 keeps them. */
    uploadDays: number;
  };
  /** forecast_inventory_dag (src/forecasts). */
  forecast: {
    /**
     * Shard tasks of every forecast run (`forecast_shard_1..N`): a table's
     * items are split into this many parts that workers (or Airflow's
     * workers) forecast at the same time. Every process sharing a database
     * must agree on it; under Airflow, `sluice airflow sync` rewrites the DAG.
     */
    shards: number;
    /** Worker threads one process forecasts on, shared by the shards it runs; default: its available cores. */
    threads: number | undefined;
  };
  uploads: {
    /** Where uploaded files are kept until their retention ends; shared storage when several machines run workers. */
    dir: string;
    maxBytes: number;
  };
  /** `GET /metrics` (Prometheus text format). */
  metrics: {
    /** Served at all; off unless SLUICE_METRICS=true, a token or a worker port is set. */
    enabled: boolean;
    /** When set, scrapes must send `Authorization: Bearer <token>`. */
    token: string | undefined;
    /** Label series with the organisation (one series per organisation: opt-in). */
    orgLabels: boolean;
    /** Label series with the DAG id besides the pipeline (one series per connection: opt-in). */
    dagLabels: boolean;
    /** Where `sluice worker` serves its own `GET /metrics` (on HOST); not served when unset. */
    workerPort: number | undefined;
  };
  notifications: {
    /** `smtp://user:pass@host:port`; e-mail notifications are off without it. */
    smtpUrl: string | undefined;
    smtpFrom: string;
  };
}

export const DEFAULTS = {
  dataDir: './.sluice',
  host: '127.0.0.1',
  port: 3000,
  pgPort: 5432,
  pgDatabase: 'sluice',
  warehousePrefix: 'orgdata_',
  mongoDatabase: 'client_data',
  adminEmail: 'admin@sluice.local',
  poolMax: 10,
  sessionTtlHours: 24,
  loginMaxFailures: 10,
  loginWindowMinutes: 15,
  loginFailureDelayMs: 500,
  workerConcurrency: 4,
  orgMaxActiveTasks: 4,
  leaseSeconds: 30,
  runRetentionDays: 90,
  smtpFrom: 'Sluice <sluice@localhost>',
  maxUploadMb: 2048,
  airflowScheduleGraceSeconds: 300,
  forecastShards: 4,
} as const;

/** Treats empty strings as unset and keeps only the variables Sluice knows. */
function pickEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const known = Object.keys(envSchema.shape);
  const picked: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

/**
 * Parses the environment into a `Config`, or throws a `ConfigError` listing
 * every bad variable at once (not just the first).
 */
export function parseConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const result = envSchema.safeParse(pickEnv(env));
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(environment)');
        return { variable, message: issue.message, value: redactValue(variable, env[variable]) };
      }),
    );
  }
  const e = result.data;
  const problems: { variable: string; message: string }[] = [];

  const database = resolveDatabase(e, problems);

  const apiUrl = e.AIRFLOW_API_URL ?? e.AIRFLOW_API_BASE;
  if (e.AIRFLOW_API_URL && e.AIRFLOW_API_BASE && e.AIRFLOW_API_URL !== e.AIRFLOW_API_BASE) {
    problems.push({
      variable: 'AIRFLOW_API_BASE',
      message: 'differs from AIRFLOW_API_URL; set only one of them (AIRFLOW_API_BASE is the older name)',
    });
  }
  if (!apiUrl && (e.AIRFLOW_USERNAME || e.AIRFLOW_PASSWORD || e.AIRFLOW_DAGS_FOLDER)) {
    problems.push({
      variable: 'AIRFLOW_API_URL',
      message: 'is required when other AIRFLOW_* variables are set',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(cwd, e.SLUICE_DATA_DIR ?? DEFAULTS.dataDir);
  const env_ = e.NODE_ENV ?? 'development';
  return {
    env: env_,
    dataDir,
    http: {
      host: e.HOST ?? DEFAULTS.host,
      port: e.PORT ?? DEFAULTS.port,
      publicUrl: e.SLUICE_PUBLIC_URL,
      corsOrigins: (e.SLUICE_CORS_ORIGINS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      trustProxy: e.SLUICE_TRUST_PROXY ?? false,
    },
    logLevel: e.SLUICE_LOG_LEVEL ?? e.LOG_LEVEL ?? (env_ === 'test' ? 'warn' : 'info'),
    database: database ?? { kind: 'pglite', dataDir },
    warehousePrefix: e.PG_DB_PREFIX ?? DEFAULTS.warehousePrefix,
    secretKey: e.SLUICE_SECRET_KEY,
    admin: { email: (e.SLUICE_ADMIN_EMAIL ?? DEFAULTS.adminEmail).toLowerCase(), password: e.SLUICE_ADMIN_PASSWORD },
    auth: {
      sessionTtlHours: e.SLUICE_SESSION_TTL_HOURS ?? DEFAULTS.sessionTtlHours,
      loginMaxFailures: e.SLUICE_LOGIN_MAX_FAILURES ?? DEFAULTS.loginMaxFailures,
      loginWindowMinutes: e.SLUICE_LOGIN_WINDOW_MINUTES ?? DEFAULTS.loginWindowMinutes,
      loginFailureDelayMs: e.SLUICE_LOGIN_FAILURE_DELAY_MS ?? DEFAULTS.loginFailureDelayMs,
    },
    sources: {
      allowPrivate: e.SLUICE_HTTP_ALLOW_PRIVATE ?? false,
      allowHosts: (e.SLUICE_HTTP_ALLOW_HOSTS ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    },
    mongo: e.MONGO_URI ? { uri: e.MONGO_URI, database: e.MONGO_DATABASE ?? DEFAULTS.mongoDatabase } : undefined,
    airflow: apiUrl
      ? {
          apiUrl,
          username: e.AIRFLOW_USERNAME,
          password: e.AIRFLOW_PASSWORD,
          dagsFolder: e.AIRFLOW_DAGS_FOLDER ? path.resolve(cwd, e.AIRFLOW_DAGS_FOLDER) : undefined,
          uiUrl: e.AIRFLOW_UI_URL,
          fallback: e.SLUICE_AIRFLOW_FALLBACK ?? 'builtin',
          scheduleGraceSeconds: e.SLUICE_AIRFLOW_SCHEDULE_GRACE_SECONDS ?? DEFAULTS.airflowScheduleGraceSeconds,
        }
      : undefined,
    airflowCallbackToken: e.SLUICE_AIRFLOW_TOKEN,
    engine: {
      workerConcurrency: e.SLUICE_WORKER_CONCURRENCY ?? DEFAULTS.workerConcurrency,
      orgMaxActiveTasks: e.SLUICE_ORG_MAX_ACTIVE_TASKS ?? DEFAULTS.orgMaxActiveTasks,
      leaseSeconds: e.SLUICE_TASK_LEASE_SECONDS ?? DEFAULTS.leaseSeconds,
      scheduler: e.SLUICE_SCHEDULER ?? true,
      runRetentionDays: e.SLUICE_RUN_RETENTION_DAYS ?? DEFAULTS.runRetentionDays,
    },
    retention: {
      rawDays: e.SLUICE_RAW_RETENTION_DAYS ?? 0,
      auditDays: e.SLUICE_AUDIT_RETENTION_DAYS ?? 0,
      uploadDays: e.SLUICE_UPLOAD_RETENTION_DAYS ?? 0,
    },
    forecast: {
      shards: e.SLUICE_FORECAST_SHARDS ?? DEFAULTS.forecastShards,
      threads: e.SLUICE_FORECAST_THREADS,
    },
    uploads: {
      dir: path.resolve(cwd, e.SLUICE_UPLOAD_DIR ?? path.join(dataDir, 'uploads')),
      maxBytes: (e.SLUICE_MAX_UPLOAD_MB ?? DEFAULTS.maxUploadMb) * 1024 * 1024,
    },
    metrics: {
      enabled: e.SLUICE_METRICS ?? (e.SLUICE_METRICS_TOKEN !== undefined || e.SLUICE_WORKER_METRICS_PORT !== undefined),
      token: e.SLUICE_METRICS_TOKEN,
      orgLabels: e.SLUICE_METRICS_ORG_LABELS ?? false,
      dagLabels: e.SLUICE_METRICS_DAG_LABELS ?? false,
      workerPort: e.SLUICE_WORKER_METRICS_PORT,
    },
    notifications: { smtpUrl: e.SMTP_URL, smtpFrom: e.SMTP_FROM ?? DEFAULTS.smtpFrom },
  };
}

type ParsedEnv = z.infer<typeof envSchema>;

/** `DATABASE_URL` wins; otherwise the seed's `PG_HOST` + `APP_DB_USER` form; otherwise embedded. */
function resolveDatabase(
  e: ParsedEnv,
  problems: { variable: string; message: string }[],
): DatabaseConfig | undefined {
  const poolMax = e.SLUICE_DB_POOL_MAX ?? DEFAULTS.poolMax;
  if (e.DATABASE_URL) return { kind: 'postgres', url: e.DATABASE_URL, poolMax };
  if (e.PG_HOST) {
    if (!e.APP_DB_USER) {
      problems.push({ variable: 'APP_DB_USER', message: 'is required when PG_HOST is set (or set DATABASE_URL instead)' });
      return undefined;
    }
    const url = new URL('postgresql://localhost');
    url.hostname = e.PG_HOST;
    url.port = String(e.PG_PORT ?? DEFAULTS.pgPort);
    url.username = e.APP_DB_USER;
    if (e.APP_DB_PASSWORD) url.password = e.APP_DB_PASSWORD;
    url.pathname = `/${e.PG_DATABASE ?? DEFAULTS.pgDatabase}`;
    return { kind: 'postgres', url: url.toString(), poolMax };
  }
  return undefined;
}

const SECRET_VARIABLES = new Set([
  'DATABASE_URL',
  'APP_DB_PASSWORD',
  'SLUICE_SECRET_KEY',
  'SLUICE_ADMIN_PASSWORD',
  'MONGO_URI',
  'AIRFLOW_PASSWORD',
  'SMTP_URL',
  'SLUICE_AIRFLOW_TOKEN',
  'SLUICE_METRICS_TOKEN',
]);

function redactValue(variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return SECRET_VARIABLES.has(variable) ? '(hidden)' : value;
}

/** The variables the README documents; kept here so a test can check the README lists them all. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);
