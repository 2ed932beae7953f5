import { describe, expect, it } from 'vitest';
import { ColumnProfile } from './tolerant-schema.js';

const profile = (values: unknown[], fromText = true) => {
  const p = new ColumnProfile();
  for (const v of values) p.observe(v, fromText);
  return p.type();
};

describe('ColumnProfile', () => {
  it('types a column by the values nearly all agree on, tolerating a stray one', () => {
    expect(profile(['2.50', '10', '1.25', 'twelve'])).toEqual({ type: 'number', tolerant: true });
    expect(profile(['2026-01-02', '2026-01-03', '2026-02-30'])).toEqual({ type: 'date', tolerant: true });
    expect(profile(['1', '2', '3', '4', 'n/a'])).toEqual({ type: 'integer', tolerant: true });
  });

  it('widens as before when every value fits or there is no clear majority', () => {
    expect(profile(['1', '2', '3.5'])).toEqual({ type: 'number', tolerant: false });
    expect(profile(['2026-01-02', '2026-01-02T10:00:00Z'])).toEqual({ type: 'timestamp', tolerant: false });
    expect(profile(['Saw', 'Drill', '123'])).toEqual({ type: 'string', tolerant: false });
    expect(profile(['12', 'abc'])).toEqual({ type: 'string', tolerant: false });
    expect(profile([null, '', '  '])).toEqual({ type: 'string', tolerant: false });
  });

  it('allows at most 2% outliers in a large column', () => {
    const values = Array.from({ length: 1000 }, (_, i) => String(i));
    expect(profile([...values, ...Array.from({ length: 20 }, () => 'x')]).type).toBe('integer');
    expect(profile([...values, ...Array.from({ length: 21 }, () => 'x')]).type).toBe('string');
  });

  it('reads JSON values by their JSON type when they are not text', () => {
    expect(profile([1, 2, '3'], false)).toEqual({ type: 'integer', tolerant: true });
    expect(profile([true, false], false)).toEqual({ type: 'boolean', tolerant: false });
  });
});
