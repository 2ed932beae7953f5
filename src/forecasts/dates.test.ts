import { describe, expect, it } from 'vitest';
import { numericOrderOf, parseDateText } from './dates.js';

describe('parseDateText', () => {
  it.each([
    ['2024-03-05', '2024-03-05'],
    ['2024-03-05T23:30:00Z', '2024-03-05'],
    ['2024-03-05 10:00', '2024-03-05'],
    ['2024/3/5', '2024-03-05'],
    ['20240305', '2024-03-05'],
    ['5 Mar 2024', '2024-03-05'],
    ['05-Mar-24', '2024-03-05'],
    ['March 5, 2024', '2024-03-05'],
    ['Mar. 5th 2024', '2024-03-05'],
    ['31/01/2024', '2024-01-31'],
    ['01/31/2024', '2024-01-31'],
    ['05.03.2024', '2024-03-05'],
  ])('reads %s as %s', (text, expected) => {
    expect(parseDateText(text)).toBe(expected);
  });

  it('reads an ambiguous numeric date in the column’s order', () => {
    expect(parseDateText('05/03/2024', 'dmy')).toBe('2024-03-05');
    expect(parseDateText('05/03/2024', 'mdy')).toBe('2024-05-03');
    // A value that proves its order wins over the column's.
    expect(parseDateText('25/03/2024', 'mdy')).toBe('2024-03-25');
  });

  it.each(['', 'yesterday', '2024-02-30', '31/31/2024', '13 Foo 2024', '1e5'])('refuses %j', (text) => {
    expect(parseDateText(text)).toBeNull();
  });

  it('decides a column’s order from the values that prove one', () => {
    expect(numericOrderOf({ firstAbove12: 0, secondAbove12: 4 })).toBe('mdy');
    expect(numericOrderOf({ firstAbove12: 3, secondAbove12: 0 })).toBe('dmy');
    expect(numericOrderOf({ firstAbove12: 0, secondAbove12: 0 })).toBe('dmy');
  });
});
