/** Time zone names: IANA names such as `Europe/Berlin`, `America/New_York` or `UTC`. */

export const DEFAULT_TIMEZONE = 'UTC';

// An IANA name: letters first, then letters, digits, `_`, `+`, `-`, in `/`-separated parts.
// It refuses offsets such as `+01:00`, which some runtimes accept but which have no DST rules.
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * The time zone as the runtime spells it when `name` differs only in case
 * (`europe/berlin` → `Europe/Berlin`), else `name` as given; null when the
 * runtime does not know the zone. Aliases are kept as written
 * (`Asia/Calcutta` stays), since runtimes disagree on which name is canonical.
 */
export function normalizeTimezone(name: string): string | null {
  const trimmed = name.trim();
  if (!IANA_NAME.test(trimmed)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: trimmed }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  return resolved.toLowerCase() === trimmed.toLowerCase() ? resolved : trimmed;
}

/** What is wrong with `timezone`, in words; null when it is a known IANA zone. */
export function timezoneProblem(timezone: string): string | null {
  return normalizeTimezone(timezone) === null
    ? `${JSON.stringify(timezone)} is not a known IANA time zone; use a name such as "UTC", "Europe/Berlin" or "America/New_York"`
    : null;
}
