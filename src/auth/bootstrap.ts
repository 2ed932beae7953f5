import type { Database } from '../db/index.js';
import type { OrgsService } from './orgs.service.js';
import { generatePassword } from './passwords.js';
import type { User } from './schemas.js';
import type { UsersService } from './users.service.js';

export const DEFAULT_ORG_ID = 'default';

export interface BootstrapResult {
  admin: User;
  /** Present only when Sluice generated it; shown once and never stored in clear. */
  generatedPassword: string | undefined;
}

/**
 * First start: when no user exists at all, creates organisation `default`
 * and its admin. Runs in one transaction under an advisory lock so two
 * replicas starting together create one admin, not two.
 */
export async function bootstrapFirstAdmin(
  db: Database,
  services: { orgs: OrgsService; users: UsersService },
  admin: { email: string; password: string | undefined },
): Promise<BootstrapResult | undefined> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7352002)');
    const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    if (rows[0]!.n > 0) return undefined;
    const existing = await tx.query('SELECT 1 FROM orgs WHERE id = $1', [DEFAULT_ORG_ID]);
    if (existing.rowCount === 0) await services.orgs.create({ id: DEFAULT_ORG_ID, name: 'Default' }, tx);
    const password = admin.password ?? generatePassword();
    const user = await services.users.create(
      DEFAULT_ORG_ID,
      { email: admin.email, password, role: 'admin', name: 'Administrator' },
      tx,
    );
    return { admin: user, generatedPassword: admin.password ? undefined : password };
  });
}
