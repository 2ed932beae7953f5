import type { Config } from '../config/index.js';
import type { Queryable } from '../db/index.js';
import { UserError } from '../errors/index.js';
import type { OrgsService } from './orgs.service.js';
import { dummyPasswordHash, verifyPassword } from './passwords.js';
import type { Org, TokenInfo, User } from './schemas.js';
import type { TokensService } from './tokens.service.js';
import { toUser, type UsersService } from './users.service.js';

export interface LoginResult {
  token: string;
  tokenInfo: TokenInfo;
  user: User;
  org: Org;
}

export interface LoginAttempt {
  email: string;
  password: string;
  ip: string;
}

/**
 * A refused login. `subject` names the account the email belongs to, for the
 * audit trail of that organisation; it is never sent to the client.
 */
export class InvalidCredentialsError extends UserError {
  constructor(readonly subject: { orgId: string; userId: string } | undefined) {
    super('invalid_credentials', 'Email or password is wrong');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Email + password → a session token. Failed logins are slowed (a delay that
 * grows with recent failures) and limited per email and per client address
 * over a sliding window, counted in the database so every replica shares them.
 */
export class LoginService {
  constructor(
    private readonly db: Queryable,
    private readonly orgs: OrgsService,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly settings: Config['auth'],
  ) {}

  async login(attempt: LoginAttempt): Promise<LoginResult> {
    const email = attempt.email.trim().toLowerCase();
    await this.refuseWhenLimited(email, attempt.ip);

    const row = await this.users.findForLogin(email);
    // Hash even for an unknown email, so timing does not reveal which emails exist.
    const ok = await verifyPassword(attempt.password, row?.password_hash ?? (await dummyPasswordHash()));
    if (!row || !ok || row.disabled_at !== null) {
      const failures = await this.recordFailure(email, attempt.ip);
      await sleep(Math.min(this.settings.loginFailureDelayMs * failures, 10 * this.settings.loginFailureDelayMs));
      throw new InvalidCredentialsError(row ? { orgId: row.org_id, userId: row.id } : undefined);
    }

    await this.db.query('DELETE FROM login_failures WHERE email = $1', [email]);
    const expiresAt = new Date(Date.now() + this.settings.sessionTtlHours * 3_600_000);
    const { token, info } = await this.tokens.issue(row.org_id, {
      kind: 'session',
      name: `login ${new Date().toISOString()}`,
      role: row.role,
      userId: row.id,
      expiresAt,
    });
    return { token, tokenInfo: info, user: toUser(row), org: await this.orgs.get(row.org_id) };
  }

  /** Failures of this email, or from this address, within the window; refuses with 429 past the limit. */
  private async refuseWhenLimited(email: string, ip: string): Promise<void> {
    const windowMinutes = this.settings.loginWindowMinutes;
    const { rows } = await this.db.query<{ by_email: number; by_ip: number; oldest: Date | null }>(
      `SELECT count(*) FILTER (WHERE email = $1)::int AS by_email,
              count(*) FILTER (WHERE ip = $2)::int AS by_ip,
              min(failed_at) AS oldest
         FROM login_failures
        WHERE (email = $1 OR ip = $2) AND failed_at > now() - make_interval(mins => $3)`,
      [email, ip, windowMinutes],
    );
    const { by_email, by_ip, oldest } = rows[0]!;
    // Many users may share one address (an office behind NAT), so it gets a wider allowance.
    if (by_email >= this.settings.loginMaxFailures || by_ip >= this.settings.loginMaxFailures * 5) {
      const freeAt = (oldest ? oldest.getTime() : Date.now()) + windowMinutes * 60_000;
      const retryAfter = Math.max(1, Math.ceil((freeAt - Date.now()) / 1000));
      throw new UserError('too_many_login_attempts', `Too many failed logins; try again in ${retryAfter} seconds`, {
        headers: { 'retry-after': String(retryAfter) },
        details: { retryAfterSeconds: retryAfter },
      });
    }
  }

  private async recordFailure(email: string, ip: string): Promise<number> {
    await this.db.query('INSERT INTO login_failures (email, ip) VALUES ($1, $2)', [email, ip]);
    // Old rows are of no use past the window; trim them here rather than in a separate job.
    await this.db.query(`DELETE FROM login_failures WHERE failed_at < now() - make_interval(mins => $1)`, [
      this.settings.loginWindowMinutes * 2,
    ]);
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM login_failures WHERE email = $1 AND failed_at > now() - make_interval(mins => $2)`,
      [email, this.settings.loginWindowMinutes],
    );
    return rows[0]!.n;
  }
}
