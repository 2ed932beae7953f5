import type { Queryable } from '../db/index.js';
import { iso, isUniqueViolation } from '../db/index.js';
import { conflict, notFound } from '../errors/index.js';
import { parseInput } from '../errors/validate.js';
import { hashPassword } from './passwords.js';
import type { Role } from './roles.js';
import { Email, Password, type User } from './schemas.js';

export interface UserRow {
  id: string;
  org_id: string;
  email: string;
  name: string | null;
  role: Role;
  password_hash: string;
  created_at: Date;
  disabled_at: Date | null;
}

export const toUser = (r: UserRow): User => ({
  id: r.id,
  orgId: r.org_id,
  email: r.email,
  name: r.name,
  role: r.role,
  createdAt: iso(r.created_at),
  disabled: r.disabled_at !== null,
});

export interface CreateUserInput {
  email: string;
  password: string;
  role: Role;
  name?: string | null | undefined;
}

/** Users of one organisation. Every method takes the org id first: there is no unscoped query. */
export class UsersService {
  constructor(private readonly db: Queryable) {}

  async create(orgId: string, input: CreateUserInput, db: Queryable = this.db): Promise<User> {
    const email = parseInput(Email, input.email, 'email');
    const passwordHash = await hashPassword(parseInput(Password, input.password, 'password'));
    const org = await db.query('SELECT 1 FROM orgs WHERE id = $1', [orgId]);
    if (org.rowCount === 0) throw notFound('Organisation', orgId);
    try {
      const { rows } = await db.query<UserRow>(
        `INSERT INTO users (org_id, email, name, role, password_hash)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [orgId, email, input.name ?? null, input.role, passwordHash],
      );
      return toUser(rows[0]!);
    } catch (error) {
      // Emails are unique across organisations; say so without revealing which org has it.
      if (isUniqueViolation(error)) throw conflict(`A user with email ${email} already exists`);
      throw error;
    }
  }

  async list(orgId: string): Promise<User[]> {
    const { rows } = await this.db.query<UserRow>('SELECT * FROM users WHERE org_id = $1 ORDER BY created_at, email', [
      orgId,
    ]);
    return rows.map(toUser);
  }

  async get(orgId: string, id: string): Promise<User> {
    const { rows } = await this.db.query<UserRow>('SELECT * FROM users WHERE org_id = $1 AND id::text = $2', [orgId, id]);
    if (!rows[0]) throw notFound('User', id);
    return toUser(rows[0]);
  }

  async update(
    orgId: string,
    id: string,
    patch: { role?: Role | undefined; name?: string | null | undefined; password?: string | undefined; disabled?: boolean | undefined },
  ): Promise<User> {
    const passwordHash = patch.password === undefined ? null : await hashPassword(parseInput(Password, patch.password, 'password'));
    const { rows } = await this.db.query<UserRow>(
      `UPDATE users SET
         role = COALESCE($3, role),
         name = CASE WHEN $4::boolean THEN $5 ELSE name END,
         password_hash = COALESCE($6, password_hash),
         disabled_at = CASE WHEN $7::boolean IS NULL THEN disabled_at
                            WHEN $7::boolean THEN COALESCE(disabled_at, now()) ELSE NULL END
       WHERE org_id = $1 AND id::text = $2 RETURNING *`,
      [orgId, id, patch.role ?? null, patch.name !== undefined, patch.name ?? null, passwordHash, patch.disabled ?? null],
    );
    if (!rows[0]) throw notFound('User', id);
    if (patch.password !== undefined || patch.disabled === true) {
      // A new password or a disabled account ends every open session of that user.
      await this.db.query(
        `UPDATE api_tokens SET revoked_at = now() WHERE org_id = $1 AND user_id = $2 AND kind = 'session' AND revoked_at IS NULL`,
        [orgId, rows[0].id],
      );
    }
    return toUser(rows[0]);
  }

  async delete(orgId: string, id: string): Promise<void> {
    const { rowCount } = await this.db.query('DELETE FROM users WHERE org_id = $1 AND id::text = $2', [orgId, id]);
    if (rowCount === 0) throw notFound('User', id);
  }

  async count(orgId?: string): Promise<number> {
    const { rows } = orgId
      ? await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE org_id = $1', [orgId])
      : // The one unscoped read: "does any user exist at all", for the first-start bootstrap.
        await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return rows[0]!.n;
  }

  /** For login only: looks a user up by email across organisations (emails are globally unique). */
  async findForLogin(email: string): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>('SELECT * FROM users WHERE email = $1', [email.toLowerCase()]);
    return rows[0];
  }
}
