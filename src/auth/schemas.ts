import { z } from 'zod';
import { Role } from './roles.js';

/** Organisation ids end up in database and schema names (`orgdata_<id>`), hence the narrow alphabet. */
export const OrgId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, {
    message: 'must be 1-40 characters of a-z, 0-9, _ and -, starting with a letter or digit',
  });

export const Email = z
  .email({ message: 'must be an email address' })
  .max(254)
  .transform((v) => v.toLowerCase());

export const Password = z.string().min(8, { message: 'must be at least 8 characters' }).max(1024);

export const Org = z.object({
  id: OrgId,
  name: z.string(),
  createdAt: z.iso.datetime(),
});
export type Org = z.infer<typeof Org>;

export const User = z.object({
  id: z.uuid(),
  orgId: OrgId,
  email: z.string(),
  name: z.string().nullable(),
  role: Role,
  createdAt: z.iso.datetime(),
  disabled: z.boolean(),
});
export type User = z.infer<typeof User>;

/** A token as lists show it: never the secret, only its first characters. */
export const TokenInfo = z.object({
  id: z.uuid(),
  orgId: OrgId,
  userId: z.uuid().nullable(),
  kind: z.enum(['session', 'api']),
  name: z.string(),
  role: Role,
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
  revoked: z.boolean(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

/** Who is acting, as recorded in the audit trail. */
export const Actor = z.object({
  type: z.enum(['user', 'token', 'cli', 'system', 'anonymous']),
  id: z.string().nullable(),
});
export type Actor = z.infer<typeof Actor>;

/** An authenticated caller: always bound to exactly one organisation. */
export interface Principal {
  orgId: string;
  role: Role;
  userId: string | null;
  tokenId: string;
  actor: Actor;
}
