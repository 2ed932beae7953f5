import { createHash, randomBytes } from 'node:crypto';

/**
 * Tokens look like `slk_<43 characters>`: 32 random bytes in base64url behind
 * a prefix that secret scanners can match. They carry 256 bits of entropy, so
 * a plain SHA-256 is enough to store them (no slow hash needed, unlike passwords).
 */
const TOKEN_PREFIX = 'slk_';

export const generateTokenSecret = (): string => TOKEN_PREFIX + randomBytes(32).toString('base64url');

export const hashTokenSecret = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** The part of a token shown in lists: the prefix and six characters. */
export const tokenDisplayPrefix = (token: string): string => token.slice(0, TOKEN_PREFIX.length + 6);

export const looksLikeToken = (value: string): boolean => /^slk_[A-Za-z0-9_-]{43}$/.test(value);
