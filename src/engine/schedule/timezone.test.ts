import { describe, expect, it } from 'vitest';
import { normalizeTimezone, timezoneProblem } from './timezone.js';

describe('time zones', () => {
  it('knows IANA names and fixes their case', () => {
    expect(normalizeTimezone('UTC')).toBe('UTC');
    expect(normalizeTimezone('utc')).toBe('UTC');
    expect(normalizeTimezone('europe/berlin')).toBe('Europe/Berlin');
    expect(normalizeTimezone(' America/New_York ')).toBe('America/New_York');
    expect(normalizeTimezone('Etc/GMT+5')).toBe('Etc/GMT+5');
  });

  it('keeps an alias as written rather than the runtime’s canonical name', () => {
    expect(normalizeTimezone('Asia/Kolkata')).toBe('Asia/Kolkata');
  });

  it('refuses unknown zones and UTC offsets', () => {
    expect(normalizeTimezone('Mars/Olympus')).toBeNull();
    expect(normalizeTimezone('+01:00')).toBeNull();
    expect(normalizeTimezone('')).toBeNull();
    expect(timezoneProblem('Mars/Olympus')).toContain('"Mars/Olympus" is not a known IANA time zone');
    expect(timezoneProblem('Europe/Berlin')).toBeNull();
  });
});
