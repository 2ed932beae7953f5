import { parseTemporal } from '../mapping/datetime.js';

/**
 * Dates written as text, in the formats spreadsheets and exports use:
 * ISO (`2024-03-05`, with a time or not), `2024/03/05`, `20240305`,
 * day-first or month-first numeric dates (`05/03/2024`, `3-5-24`,
 * `05.03.2024`) and dates with month names (`5 Mar 2024`, `March 5, 2024`,
 * `05-Mar-24`). A numeric date whose first number is above 12 is
 * day-first, whose second is above 12 month-first; the others follow the
 * column's convention (`NumericOrder`), which `numericOrderOf` decides
 * from the column's values (day-first unless some value proves otherwise).
 * The result is `YYYY-MM-DD`, or null when the text is no date.
 */
export type NumericOrder = 'dmy' | 'mdy';

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
  january: 1, february: 2, march: 3, april: 4, june: 6, july: 7, august: 8, september: 9, october: 10, november: 11, december: 12,
};

const pad = (n: number) => String(n).padStart(2, '0');

function ymd(year: number, month: number, day: number): string | null {
  if (year < 100) year += year < 70 ? 2000 : 1900;
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

const ISO_SLASH = /^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T].*)?$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const NUMERIC = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T].*)?$/;
const DAY_MONTH_NAME = /^(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]+([a-z]+)\.?,?[\s\-/.]+(\d{2}|\d{4})$/i;
const MONTH_NAME_DAY = /^([a-z]+)\.?[\s\-/.]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/.]+(\d{2}|\d{4})$/i;

export function parseDateText(text: string, order: NumericOrder = 'dmy'): string | null {
  const t = text.trim();
  if (t === '') return null;
  const iso = parseTemporal(t);
  if (typeof iso !== 'string') return iso.kind === 'date' ? iso.date : new Date(iso.epochMs).toISOString().slice(0, 10);
  let m = ISO_SLASH.exec(t) ?? COMPACT.exec(t);
  if (m) return ymd(Number(m[1]), Number(m[2]), Number(m[3]));
  m = NUMERIC.exec(t);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const y = Number(m[3]);
    const dayFirst = a > 12 ? true : b > 12 ? false : order === 'dmy';
    return dayFirst ? ymd(y, b, a) : ymd(y, a, b);
  }
  m = DAY_MONTH_NAME.exec(t);
  if (m) {
    const month = MONTHS[m[2]!.toLowerCase()];
    return month ? ymd(Number(m[3]), month, Number(m[1])) : null;
  }
  m = MONTH_NAME_DAY.exec(t);
  if (m) {
    const month = MONTHS[m[1]!.toLowerCase()];
    return month ? ymd(Number(m[3]), month, Number(m[2])) : null;
  }
  return null;
}

/**
 * The numeric order of a column from counts of its numeric dates whose
 * first part is above 12 (only day-first reads them) and whose second part
 * is (only month-first does): the convention the values prove, day-first
 * when none proves either.
 */
export function numericOrderOf(counts: { firstAbove12: number; secondAbove12: number }): NumericOrder {
  return counts.secondAbove12 > counts.firstAbove12 ? 'mdy' : 'dmy';
}
