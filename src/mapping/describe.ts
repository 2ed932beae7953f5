/**
 * How values are named in reasons shown to people (rejected records, config
 * errors). Reasons end up in the UI and in the rejected table, so they stay
 * short: long strings are cut, containers are named by kind only.
 */

const MAX_SHOWN = 60;

/** The value as a person would recognise it: `"abc"`, `4.5`, `true`, `null`, `an object`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN - 1)}…` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return kindOf(value);
}

/** Text already known to be a number, shown without quotes (`4.5 is not a whole number`) but still cut. */
export function describeNumberText(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** The kind of a value with its article: `a string`, `an array`, `null`. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date object';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'bigint':
      return 'a bigint';
    case 'object':
      return 'an object';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return typeof value;
  }
}
