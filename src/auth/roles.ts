import { z } from 'zod';

/**
 * - admin: manages the organisation, its users and tokens.
 * - editor: connections, schedules, uploads, triggers.
 * - viewer: reads only.
 */
export const Role = z.enum(['admin', 'editor', 'viewer']);
export type Role = z.infer<typeof Role>;

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export const roleAtLeast = (role: Role, minimum: Role): boolean => RANK[role] >= RANK[minimum];

/** The weaker of two roles: a token never grants more than its user has. */
export const weakerRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);
