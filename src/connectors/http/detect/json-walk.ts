/** Walking a parsed JSON answer: the places that may hold records or paging hints. */

export type Segment = string | '*';

/** A JSONPath for segments: `$.data.items`, `$['@odata.nextLink']`, `$.edges[*].node`. */
export function jsonPathOf(segments: readonly Segment[]): string {
  let path = '$';
  for (const s of segments) {
    if (s === '*') path += '[*]';
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) path += `.${s}`;
    else path += `['${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;
  }
  return path;
}

/** A key without case, underscores, dashes, dots or `@`: `next_cursor`, `nextCursor` and `@odata.nextLink` compare by it. */
export const normalKey = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, '');

export interface Leaf {
  segments: string[];
  key: string;
  value: unknown;
}

const MAX_DEPTH = 5;
const MAX_LEAVES = 2000;

/**
 * The scalar (and null) values of an answer outside arrays, with their paths, down to a few levels:
 * where `next`, `cursor`, `total` and `page` live. Arrays are skipped: records are not paging hints.
 */
export function leavesOf(body: unknown): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (node: unknown, segments: string[]) => {
    if (!node || typeof node !== 'object' || Array.isArray(node) || segments.length >= MAX_DEPTH) return;
    for (const [key, value] of Object.entries(node)) {
      if (leaves.length >= MAX_LEAVES) return;
      const at = [...segments, key];
      if (value !== null && typeof value === 'object') {
        if (!Array.isArray(value)) visit(value, at);
      } else leaves.push({ segments: at, key, value });
    }
  };
  visit(body, []);
  return leaves;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
