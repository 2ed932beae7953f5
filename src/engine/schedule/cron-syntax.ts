/**
 * The CRON syntax Sluice accepts, checked field by field so that a mistake is
 * reported in words ("minute 61 is out of range 0-59") rather than as a parser
 * error. Sluice accepts standard 5-field (Vixie) CRON and the common macros:
 * numbers, names of months and weekdays, `*`, ranges, lists and steps. The
 * extensions some parsers add (seconds, years, `L`, `W`, `#`, `?`) are refused,
 * so an expression means the same in the builtin scheduler, in Airflow and in
 * its plain-language description.
 */

/** The macros accepted, as the 5-field expression each stands for. */
export const CRON_MACROS: Readonly<Record<string, string>> = Object.freeze({
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
});

/** Aliases written the way Airflow spells them. */
const MACRO_SPELLING: Readonly<Record<string, string>> = { '@annually': '@yearly', '@midnight': '@daily' };

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Offset of names[0], e.g. 1 for JAN = 1, 0 for SUN = 0. */
  namesFrom?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], namesFrom: 1 },
  // 7 is Sunday too, as in Vixie cron.
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], namesFrom: 0 },
];

// Quartz and croner extensions: `L` (last), `15W` (nearest weekday), `MON#2` (nth weekday), `?`, `+MON`.
const EXTENSION = /[#?+]|^(?:[A-Za-z]{3}|\d+)?L$|^L(?:W|-\d+)?$|^\d+W$/i;

const FORMAT_HINT =
  'a CRON expression has 5 fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * *" for 09:00 every day, or is one of @hourly, @daily, @weekly, @monthly, @yearly';

/** The expression trimmed, with single spaces between fields and macros in lower case. */
export function normalizeCronExpression(expression: string): string {
  const trimmed = expression.trim().replace(/\s+/g, ' ');
  if (!trimmed.startsWith('@')) return trimmed;
  const macro = trimmed.toLowerCase();
  return MACRO_SPELLING[macro] ?? macro;
}

/** The 5-field form of an expression: macros expanded, otherwise as it is. */
export function expandCronMacro(expression: string): string {
  const normalized = normalizeCronExpression(expression);
  return CRON_MACROS[normalized] ?? normalized;
}

/** What is wrong with the syntax of `expression`, in words; null when nothing is. */
export function cronSyntaxProblem(expression: string): string | null {
  const normalized = normalizeCronExpression(expression);
  if (normalized === '') return `is empty; ${FORMAT_HINT}`;
  if (normalized.startsWith('@')) {
    return CRON_MACROS[normalized] ? null : `${JSON.stringify(normalized)} is not a supported macro; use one of @hourly, @daily, @weekly, @monthly, @yearly`;
  }
  const parts = normalized.split(' ');
  if (parts.length === 6 || parts.length === 7) {
    return `has ${parts.length} fields; seconds and years are not supported because schedules fire at most once a minute: ${FORMAT_HINT}`;
  }
  if (parts.length !== 5) {
    return `${JSON.stringify(normalized)} has ${parts.length} field${parts.length === 1 ? '' : 's'}; ${FORMAT_HINT}`;
  }
  for (const [i, part] of parts.entries()) {
    const problem = fieldProblem(part, FIELDS[i]!);
    if (problem) return problem;
  }
  return null;
}

function fieldProblem(field: string, spec: FieldSpec): string | null {
  for (const item of field.split(',')) {
    const problem = itemProblem(item, spec);
    if (problem) return `${spec.name} ${problem}`;
  }
  return null;
}

/** One list item: `*`, `*\/step`, `a`, `a-b` or `a-b/step`. */
function itemProblem(item: string, spec: FieldSpec): string | null {
  if (item === '') return 'has an empty item in its list (two commas, or a comma at an end)';
  if (EXTENSION.test(item)) {
    return `${JSON.stringify(item)} uses an extension (L, W, # or ?) that Sluice does not accept; use numbers, names, ranges (1-5), lists (1,15) and steps (*/2)`;
  }
  const [range = '', step, ...extra] = item.split('/');
  if (extra.length > 0) return `${JSON.stringify(item)} has more than one "/"`;
  if (step !== undefined) {
    if (!/^\d+$/.test(step)) return `${JSON.stringify(item)} has a step that is not a whole number`;
    const n = Number(step);
    if (n < 1) return `${JSON.stringify(item)} has a step of 0; a step must be 1 or more`;
    if (n > spec.max - spec.min + 1) return `${JSON.stringify(item)} has a step of ${n}, larger than the range ${spec.min}-${spec.max}`;
  }
  if (range === '*') return null;
  const bounds = range.split('-');
  if (bounds.length > 2) return `${JSON.stringify(item)} is not a valid range; write it as from-to, e.g. 1-5`;
  const values: number[] = [];
  for (const bound of bounds) {
    const value = valueOf(bound, spec);
    if (typeof value === 'string') return value;
    values.push(value);
  }
  if (values.length === 1 && step !== undefined) {
    return `${JSON.stringify(item)} has a step after a single value; write */${step} or a range such as ${range}-${spec.max}/${step}`;
  }
  const [from, to] = values;
  if (to !== undefined && from! > to) return `range ${JSON.stringify(range)} goes backwards; write the smaller value first`;
  return null;
}

function valueOf(text: string, spec: FieldSpec): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) return `${text} is out of range ${spec.min}-${spec.max}`;
    return n;
  }
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return index + spec.namesFrom!;
  if (text === '') return 'has a range with a missing end';
  if (spec.names) return `${JSON.stringify(text)} is neither a number ${spec.min}-${spec.max} nor a name (${spec.names[0]}-${spec.names.at(-1)})`;
  return `${JSON.stringify(text)} is not a number ${spec.min}-${spec.max}`;
}
