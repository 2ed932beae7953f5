/**
 * Reading dates and timestamps without `Date.parse`, whose accepted formats
 * differ between engines and which happily reads `"2023-02-30"` as March 2nd.
 * Everything here is strict ISO 8601 (extended format) plus the space
 * separator that SQL exports use, and years 0001-9999 only, so the output
 * always has the promised fixed shape (`YYYY-MM-DD`, `…T…000Z`).
 */

/** A date or timestamp read from text, checked against the calendar. */
export interface ParsedTemporal {
  /** `date` when the text had no time of day. */
  kind: 'date' | 'timestamp';
  /** The calendar date as written (before any offset is applied). */
  date: string;
  /** The instant in UTC milliseconds; for a plain date, its midnight UTC. */
  epochMs: number;
}

/** Why text is not a date or timestamp: not the shape at all, or an impossible value. */
export type TemporalProblem = 'format' | 'invalid' | 'range';

// YYYY-MM-DD, then optionally T or space, HH:MM[:SS[.fraction]], then optionally an offset.
const TEMPORAL_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?: ?(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?)?$/;

export const MIN_EPOCH_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_EPOCH_MS = Date.parse('9999-12-31T23:59:59.999Z');

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** UTC milliseconds of a calendar date and time; `Date.UTC` would read years 0-99 as 1900-1999. */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Cheap test that lets most strings skip the regular expression: `YYYY-` at the start. */
export function looksTemporal(text: string): boolean {
  return text.length >= 10 && text.charCodeAt(4) === 45 /* - */ && text.charCodeAt(7) === 45;
}

/** Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]][offset]` or the same with a space. */
export function parseTemporal(text: string): ParsedTemporal | TemporalProblem {
  const m = TEMPORAL_RE.exec(text);
  if (!m) return 'format';
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 'invalid';
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  if (m[4] === undefined) return { kind: 'date', date, epochMs: utcMs(year, month, day) };

  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return 'invalid';
  // Sub-millisecond digits are cut, not rounded: rounding 23:59:59.9999 would change the date.
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  const offset = m[8];
  if (offset !== undefined && offset !== 'Z' && offset !== 'z' && offset !== 'UTC' && offset !== 'GMT') {
    const digits = offset.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (offsetHours > 23 || offsetMins > 59) return 'invalid';
    offsetMinutes = (offset[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const epochMs = utcMs(year, month, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  if (epochMs < MIN_EPOCH_MS || epochMs > MAX_EPOCH_MS) return 'range';
  return { kind: 'timestamp', date, epochMs };
}

/** `2024-01-02T03:04:05.000Z`; the caller keeps `epochMs` within years 0001-9999. */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** The UTC calendar date of an instant, `YYYY-MM-DD`. */
export function formatUtcDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

/**
 * Epoch numbers below 1e11 in magnitude are seconds, others milliseconds.
 * 1e11 seconds is the year 5138 and 1e11 milliseconds is 1973-03-03, so the
 * rule is only wrong for millisecond values before March 1973, which APIs
 * rarely send, while both units of every present-day instant are read right.
 */
export const EPOCH_SECONDS_BELOW = 1e11;

/** An epoch number as UTC milliseconds (see EPOCH_SECONDS_BELOW), sub-millisecond parts dropped. */
export function epochToMs(n: number): number {
  // The small epsilon absorbs binary noise: 1700000000.123 * 1000 is 1700000000122.9998.
  return Math.abs(n) < EPOCH_SECONDS_BELOW ? Math.floor(n * 1000 + 1e-3) : Math.floor(n);
}
