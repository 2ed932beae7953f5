import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of webhook signing secrets, so a leaked one is recognisable (and greppable) for what it is. */
export const SECRET_PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes, base64url, prefixed. The whole string is the HMAC key. */
export function generateSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * The `X-Sluice-Signature` value: `sha256=` and the hex HMAC-SHA256 of
 * `<timestamp>.<body>` keyed with the secret. The timestamp is signed so a
 * captured request cannot be replayed later with a fresh `X-Sluice-Timestamp`.
 */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (README.md shows the same in a few lines): recompute
 * the signature, compare in constant time, and refuse timestamps further than
 * `toleranceSeconds` from `now` (replays).
 */
export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return false;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
