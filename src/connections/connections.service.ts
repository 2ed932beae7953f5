import { randomBytes } from 'node:crypto';
import type { Actor } from '../auth/index.js';
import type { Database } from '../db/index.js';
import { iso, isoOrNull, isUniqueViolation } from '../db/index.js';
import { conflict, notFound, validationFailed, type FieldIssue } from '../errors/index.js';
import { fieldIssues } from '../errors/validate.js';
import { toColumnName } from '../mapping/index.js';
import type { SecretBox } from '../secrets/index.js';
import { ConnectionInput, ConnectionPatch, type Connection, type ConnectionConfig } from './connection.schema.js';
import { SECRET_MASK, getAt, joinSecrets, maskUrlCredentials, secretPointers, setAt, splitSecrets } from './secrets.js';
import { validateConnection } from './validate.js';

interface ConnectionRow {
  id: string;
  org_id: string;
  name: string;
  config: ConnectionConfig;
  secrets: string | null;
  cursor_value: unknown;
  last_run_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The cursor state of a connection, as templates and the extractor need it. */
export interface ConnectionState {
  lastRunAt: Date | undefined;
  cursor: string | number | undefined;
}

const sealContext = (orgId: string) => `org:${orgId}`;

/** The URLs of a connection that older versions stored with their credentials (see `sealUrlCredentials`). */
const URL_POINTERS = ['apiConfig.baseUrl', 'apiConfig.auth.tokenUrl'];

/**
 * Saved connections of one organisation. Secrets are sealed before they
 * reach the database and masked in everything this service returns, except
 * `getForExtraction`, which the extractor alone uses.
 */
/** `scheme://host:port` of a URL, to tell whether a secret would go to another server; the text itself when it is not a URL. */
function originOf(url: unknown): string {
  if (typeof url !== 'string') return String(url);
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export class ConnectionsService {
  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  /** Parses and checks a connection; 422 listing every bad field. */
  parse(input: unknown): ConnectionConfig {
    const result = ConnectionInput.safeParse(input);
    if (!result.success) throw validationFailed(fieldIssues(result.error), 'invalid_config');
    const config = result.data;
    const issues = validateConnection(config);
    if (issues.length > 0) throw validationFailed(issues, 'invalid_config');
    for (const pointer of secretPointers(config)) {
      if (getAt(config, pointer) === SECRET_MASK) {
        throw validationFailed([{ field: pointer, message: `send the secret itself; "${SECRET_MASK}" stands for a stored value` }], 'invalid_config');
      }
    }
    return config;
  }

  async create(orgId: string, input: unknown, actor: Actor): Promise<Connection> {
    const config = this.parse(input);
    const id = config.id ?? generateId(config.name);
    const withDefaults: ConnectionConfig = {
      ...config,
      id,
      destination: config.destination ?? { table: toColumnName(config.name), writeMode: 'append' },
    };
    const { clean, secrets } = splitSecrets(withDefaults);
    try {
      const { rows } = await this.db.query<ConnectionRow>(
        `INSERT INTO connections (id, org_id, name, config, secrets, created_by)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING *`,
        [id, orgId, config.name, JSON.stringify(clean), this.seal(orgId, secrets), `${actor.type}:${actor.id ?? ''}`],
      );
      return toConnection(rows[0]!);
    } catch (error) {
      if (isUniqueViolation(error)) throw idNotAvailable(id);
      throw error;
    }
  }

  async list(orgId: string): Promise<Connection[]> {
    const { rows } = await this.db.query<ConnectionRow>('SELECT * FROM connections WHERE org_id = $1 ORDER BY name, id', [orgId]);
    return rows.map(toConnection);
  }

  async get(orgId: string, id: string): Promise<Connection> {
    return toConnection(await this.row(orgId, id));
  }

  /** The connection with its secrets, for the extractor. Never return this from the API. */
  async getForExtraction(orgId: string, id: string): Promise<{ config: ConnectionConfig; state: ConnectionState }> {
    const row = await this.row(orgId, id);
    return { config: joinSecrets(row.config, this.open(orgId, row.secrets)), state: stateOf(row) };
  }

  /**
   * Applies a partial update. Top-level fields replace; `apiConfig` fields
   * replace one by one. A secret sent back as the mask keeps the stored value.
   */
  async update(orgId: string, id: string, patchInput: unknown): Promise<Connection> {
    const parsed = ConnectionPatch.safeParse(patchInput);
    if (!parsed.success) throw validationFailed(fieldIssues(parsed.error), 'invalid_config');
    const patch = parsed.data;
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<ConnectionRow>('SELECT * FROM connections WHERE org_id = $1 AND id = $2 FOR UPDATE', [orgId, id]);
      const row = rows[0];
      if (!row) throw notFound('Connection', id);
      const stored = this.open(orgId, row.secrets);
      const current = joinSecrets(row.config, stored);
      const merged: Record<string, unknown> = {
        ...current,
        ...Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined && k !== 'apiConfig')),
        apiConfig: patch.apiConfig ? { ...current.apiConfig, ...patch.apiConfig } : current.apiConfig,
        id,
      };
      if (patch.incremental === null) delete merged.incremental;
      // Masks in the patch mean "keep what is stored at this place" — but a stored secret never follows
      // the connection to another host: whoever may edit a connection may not read its secrets, and
      // pointing it elsewhere with the secret kept would hand the secret to that host.
      const missing: FieldIssue[] = [];
      for (const pointer of candidatePointers(merged)) {
        if (getAt(merged, pointer) !== SECRET_MASK) continue;
        const kept = stored[pointer];
        const urlField = pointer === 'apiConfig.auth.clientSecret' ? 'apiConfig.auth.tokenUrl' : 'apiConfig.baseUrl';
        const was = originOf(getAt(current, urlField));
        const now = originOf(getAt(merged, urlField));
        if (kept === undefined) missing.push({ field: pointer, message: `send the secret itself; no value is stored for it` });
        else if (was !== now) missing.push({ field: pointer, message: `send the secret again: ${urlField} now points at ${now}, not ${was}, and a stored secret is never sent to another host` });
        else setAt(merged, pointer, kept);
      }
      if (missing.length > 0) throw validationFailed(missing, 'invalid_config');
      const config = this.parse(merged);
      const { clean, secrets } = splitSecrets({ ...config, destination: config.destination ?? current.destination });
      const updated = await tx.query<ConnectionRow>(
        `UPDATE connections SET name = $3, config = $4::jsonb, secrets = $5, updated_at = now()
          WHERE org_id = $1 AND id = $2 RETURNING *`,
        [orgId, id, config.name, JSON.stringify(clean), this.seal(orgId, secrets)],
      );
      return toConnection(updated.rows[0]!);
    });
  }

  async delete(orgId: string, id: string): Promise<void> {
    const { rowCount } = await this.db.query('DELETE FROM connections WHERE org_id = $1 AND id = $2', [orgId, id]);
    if (rowCount === 0) throw notFound('Connection', id);
  }

  /**
   * The organisation a connection belongs to, for operator commands
   * (`sluice run <connectionId>`) that name only the globally unique id.
   * Never used on a path a tenant's request can reach.
   */
  async orgOf(id: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ org_id: string }>('SELECT org_id FROM connections WHERE id = $1', [id]);
    return rows[0]?.org_id;
  }

  /** Remembers the highest cursor an extract saw; it becomes the cursor only through `commitCursor`. */
  async saveCursorCandidate(orgId: string, id: string, value: unknown, runId: string): Promise<void> {
    await this.db.query(
      'UPDATE connections SET cursor_candidate = $3::jsonb, cursor_candidate_run = $4 WHERE org_id = $1 AND id = $2',
      [orgId, id, JSON.stringify(value ?? null), runId],
    );
  }

  /** Called when the data of run `runId` is committed: its candidate becomes the cursor, and the run's start the last run time. */
  async commitCursor(orgId: string, id: string, runId: string, runStartedAt: Date): Promise<void> {
    await this.db.query(
      `UPDATE connections
          SET cursor_value = CASE WHEN cursor_candidate_run = $3 THEN cursor_candidate ELSE cursor_value END,
              cursor_candidate = CASE WHEN cursor_candidate_run = $3 THEN NULL ELSE cursor_candidate END,
              cursor_candidate_run = CASE WHEN cursor_candidate_run = $3 THEN NULL ELSE cursor_candidate_run END,
              last_run_at = GREATEST(last_run_at, $4)
        WHERE org_id = $1 AND id = $2`,
      [orgId, id, runId, runStartedAt],
    );
  }

  /**
   * Seals the credentials of URLs saved before such URLs were refused (a
   * password in `apiConfig.baseUrl` or the OAuth `tokenUrl`, or a
   * secret-looking query value): the whole URL moves into the sealed
   * secrets, and the stored config keeps it masked. Runs keep reading the
   * real URL; answers show the masked one; saving the connection again asks
   * for the credentials in `auth`. Run at every start; returns the number of
   * connections sealed.
   */
  async sealUrlCredentials(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<ConnectionRow>(
        `SELECT * FROM connections
          WHERE config->'apiConfig'->>'baseUrl' ~ '[@?]' OR config->'apiConfig'->'auth'->>'tokenUrl' ~ '[@?]'
          FOR UPDATE`,
      );
      let sealed = 0;
      for (const row of rows) {
        const secrets = this.open(row.org_id, row.secrets);
        const config = structuredClone(row.config);
        let changed = false;
        for (const pointer of URL_POINTERS) {
          const url = getAt(config, pointer);
          if (typeof url !== 'string' || maskUrlCredentials(url) === url) continue;
          secrets[pointer] = url;
          setAt(config, pointer, maskUrlCredentials(url));
          changed = true;
        }
        if (!changed) continue;
        await tx.query('UPDATE connections SET config = $3::jsonb, secrets = $4 WHERE org_id = $1 AND id = $2', [row.org_id, row.id, JSON.stringify(config), this.seal(row.org_id, secrets)]);
        sealed += 1;
      }
      return sealed;
    });
  }

  private async row(orgId: string, id: string): Promise<ConnectionRow> {
    const { rows } = await this.db.query<ConnectionRow>('SELECT * FROM connections WHERE org_id = $1 AND id = $2', [orgId, id]);
    if (!rows[0]) throw notFound('Connection', id);
    return rows[0];
  }

  private seal(orgId: string, secrets: Record<string, string>): string | null {
    return Object.keys(secrets).length === 0 ? null : this.box.seal(JSON.stringify(secrets), sealContext(orgId));
  }

  private open(orgId: string, sealed: string | null): Record<string, string> {
    return sealed ? (JSON.parse(this.box.open(sealed, sealContext(orgId))) as Record<string, string>) : {};
  }
}

/**
 * The answer to an id that is taken. Ids are unique across organisations:
 * each names its pipeline's DAG, `etl_workflow_<id>`, and Airflow keeps all
 * DAGs in one namespace (docs/operations.md, "Connection ids"). So that the
 * answer does not tell another organisation's ids from the caller's own, it
 * is the same whoever holds the id, and says "not available", not "exists".
 */
const idNotAvailable = (id: string) =>
  conflict(`The connection id ${JSON.stringify(id)} is not available; choose another id, or leave id out to have one generated`);

/** Secret pointers of a not-yet-validated merge (the shape may still be wrong; then none are found). */
function candidatePointers(merged: Record<string, unknown>): string[] {
  const parsed = ConnectionInput.safeParse(merged);
  return parsed.success ? secretPointers(parsed.data) : [];
}

function stateOf(row: ConnectionRow): ConnectionState {
  const cursor = row.cursor_value;
  return {
    lastRunAt: row.last_run_at ?? undefined,
    cursor: typeof cursor === 'string' || typeof cursor === 'number' ? cursor : undefined,
  };
}

function toConnection(row: ConnectionRow): Connection {
  const c = withUrlCredentialsMasked(row.config);
  return {
    ...c,
    id: row.id,
    orgId: row.org_id,
    destination: c.destination!,
    cursor: row.cursor_value ?? null,
    lastRunAt: isoOrNull(row.last_run_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/**
 * Connections saved before URLs with credentials were refused may still hold
 * them: they keep working (the extractor reads the stored URL), but are never
 * shown. Saving such a connection again asks for the credentials in `auth`.
 */
function withUrlCredentialsMasked(c: ConnectionConfig): ConnectionConfig {
  const auth = c.apiConfig.auth;
  return {
    ...c,
    apiConfig: {
      ...c.apiConfig,
      baseUrl: maskUrlCredentials(c.apiConfig.baseUrl),
      auth: auth.type === 'oauth2ClientCredentials' ? { ...auth, tokenUrl: maskUrlCredentials(auth.tokenUrl) } : auth,
    },
  };
}

/** `Shop Orders` → `shop-orders-3kq9zc`: readable, and unique without asking the database. */
function generateId(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${slug || 'connection'}-${randomBytes(4).toString('hex')}`;
}
