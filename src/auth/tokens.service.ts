import type { Queryable } from '../db/index.js';
import { iso, isoOrNull } from '../db/index.js';
import { notFound } from '../errors/index.js';
import { roleAtLeast, weakerRole, type Role } from './roles.js';
import type { Actor, Principal, TokenInfo } from './schemas.js';
import { generateTokenSecret, hashTokenSecret, looksLikeToken, tokenDisplayPrefix } from './token-secret.js';

interface TokenRow {
  id: string;
  org_id: string;
  user_id: string | null;
  kind: 'session' | 'api';
  name: string;
  role: Role;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toInfo = (r: TokenRow): TokenInfo => ({
  id: r.id,
  orgId: r.org_id,
  userId: r.user_id,
  kind: r.kind,
  name: r.name,
  role: r.role,
  prefix: r.prefix,
  createdAt: iso(r.created_at),
  expiresAt: isoOrNull(r.expires_at),
  lastUsedAt: isoOrNull(r.last_used_at),
  revoked: r.revoked_at !== null,
});

export interface IssueTokenInput {
  kind: 'session' | 'api';
  name: string;
  role: Role;
  userId?: string | null | undefined;
  expiresAt?: Date | null | undefined;
  createdBy?: string | null | undefined;
}

/** How often `last_used_at` is written: once a minute per token is plenty and spares a write per request. */
const LAST_USED_RESOLUTION_SECONDS = 60;

/** Opaque bearer tokens of one organisation, stored as SHA-256 hashes. */
export class TokensService {
  constructor(private readonly db: Queryable) {}

  /** Creates a token and returns its secret, which is never stored or shown again. */
  async issue(orgId: string, input: IssueTokenInput, db: Queryable = this.db): Promise<{ token: string; info: TokenInfo }> {
    const token = generateTokenSecret();
    const org = await db.query('SELECT 1 FROM orgs WHERE id = $1', [orgId]);
    if (org.rowCount === 0) throw notFound('Organisation', orgId);
    const { rows } = await db.query<TokenRow>(
      `INSERT INTO api_tokens (org_id, user_id, kind, name, role, token_hash, prefix, expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        orgId,
        input.userId ?? null,
        input.kind,
        input.name,
        input.role,
        hashTokenSecret(token),
        tokenDisplayPrefix(token),
        input.expiresAt ?? null,
        input.createdBy ?? null,
      ],
    );
    return { token, info: toInfo(rows[0]!) };
  }

  /** An API token for scripts and Airflow (not tied to a user), expiring after `expiresInDays` when given. */
  async issueApiToken(
    orgId: string,
    input: { name: string; role: Role; expiresInDays?: number | undefined; createdBy: Actor },
  ): Promise<{ token: string; info: TokenInfo }> {
    return this.issue(orgId, {
      kind: 'api',
      name: input.name,
      role: input.role,
      expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
      createdBy: `${input.createdBy.type}:${input.createdBy.id ?? ''}`,
    });
  }

  /**
   * The principal a bearer token stands for, or undefined when the token is
   * unknown, revoked, expired, or its user is disabled. A user's token never
   * carries more than the user's current role.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (!looksLikeToken(token)) return undefined;
    const { rows } = await this.db.query<TokenRow & { user_role: Role | null; user_disabled_at: Date | null }>(
      `SELECT t.*, u.role AS user_role, u.disabled_at AS user_disabled_at
         FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id AND u.org_id = t.org_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`,
      [hashTokenSecret(token)],
    );
    const row = rows[0];
    if (!row) return undefined;
    if (row.user_id !== null && (row.user_role === null || row.user_disabled_at !== null)) return undefined;
    await this.db.query(
      `UPDATE api_tokens SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [row.id, LAST_USED_RESOLUTION_SECONDS],
    );
    const role = row.user_role ? weakerRole(row.role, row.user_role) : row.role;
    return {
      orgId: row.org_id,
      role,
      userId: row.user_id,
      tokenId: row.id,
      actor: row.user_id ? { type: 'user', id: row.user_id } : { type: 'token', id: row.id },
    };
  }

  async list(orgId: string): Promise<TokenInfo[]> {
    const { rows } = await this.db.query<TokenRow>(
      'SELECT * FROM api_tokens WHERE org_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at',
      [orgId],
    );
    return rows.map(toInfo);
  }

  async revoke(orgId: string, id: string): Promise<TokenInfo> {
    const { rows } = await this.db.query<TokenRow>(
      'UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE org_id = $1 AND id::text = $2 RETURNING *',
      [orgId, id],
    );
    if (!rows[0]) throw notFound('Token', id);
    return toInfo(rows[0]);
  }
}

/** Whether a principal may mint a token of `role` (never more than it holds). */
export const mayGrant = (principal: Pick<Principal, 'role'>, role: Role): boolean => roleAtLeast(principal.role, role);
