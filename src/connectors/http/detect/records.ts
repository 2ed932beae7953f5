import { isPlainObject, jsonPathOf, normalKey, type Segment } from './json-walk.js';
import type { Finding } from './finding.js';

/** Where records sit in an answer, as found on the first page. */
export interface RecordsChoice {
  /** undefined: the answer itself is the array of records. */
  recordsPath: string | undefined;
  records: Record<string, unknown>[];
  finding: Finding<string | null>;
  question?: string;
}

interface Candidate {
  segments: Segment[];
  name: string;
  records: Record<string, unknown>[];
  depth: number;
}

/** Names under which APIs put their records. */
export const RECORD_NAMES = new Set(
  ['data', 'items', 'results', 'records', 'entries', 'hits', 'rows', 'list', 'value', 'values', 'objects', 'nodes', 'elements', 'resources', 'collection', 'content', 'docs', 'documents', 'members', 'embedded'].map(normalKey),
);
/** Names of arrays of objects that are about the answer, not its records. */
const SIDE_NAMES = new Set(
  ['errors', 'warnings', 'messages', 'links', '_links', 'included', 'facets', 'aggregations', 'fields', 'columns', 'sort', 'filters', 'notices', 'debug', 'meta'].map(normalKey),
);

const MAX_DEPTH = 5;

function candidatesOf(body: unknown): Candidate[] {
  const found: Candidate[] = [];
  const visit = (node: unknown, segments: Segment[]) => {
    if (!isPlainObject(node) || segments.length >= MAX_DEPTH) return;
    for (const [key, value] of Object.entries(node)) {
      const at = [...segments, key];
      if (Array.isArray(value)) {
        if (value.length > 0 && value.every(isPlainObject)) {
          // A GraphQL connection: `edges: [{ node: {...}, cursor }]` holds its records under `node`.
          if (value.every((e) => isPlainObject(e.node))) {
            found.push({ segments: [...at, '*', 'node'], name: key, records: value.map((e) => e.node as Record<string, unknown>), depth: at.length });
          } else found.push({ segments: at, name: key, records: value, depth: at.length });
        } else if (value.length === 0) found.push({ segments: at, name: key, records: [], depth: at.length });
      } else visit(value, at);
    }
  };
  visit(body, []);
  return found;
}

const isRecordName = (c: Candidate) => RECORD_NAMES.has(normalKey(c.name)) || c.segments.some((s) => s === '_embedded');
const isSideName = (c: Candidate) => SIDE_NAMES.has(normalKey(c.name));

/**
 * The records of an answer: a root array; else the largest array of objects, where a name APIs give their
 * records (`data`, `items`, `results`...) outweighs size and a name of side information (`errors`,
 * `included`...) counts against it. Other arrays are named as alternatives.
 */
export function chooseRecords(body: unknown): RecordsChoice {
  if (Array.isArray(body)) {
    const records = body.filter(isPlainObject);
    return {
      recordsPath: undefined,
      records,
      finding: { value: null, confidence: 'high', evidence: [`the answer is an array of ${body.length} items: the records themselves`] },
    };
  }
  const all = candidatesOf(body);
  if (all.length === 0) {
    const keys = isPlainObject(body) ? Object.keys(body).slice(0, 20).join(', ') : typeof body;
    return {
      recordsPath: undefined,
      records: isPlainObject(body) ? [body] : [],
      finding: { value: null, confidence: 'low', evidence: [`the answer holds no array of objects (its keys: ${keys}); it is read as one record`] },
      question: 'The answer holds no list of records; is this the address of a list (for example /users rather than /users/1)?',
    };
  }
  const score = (c: Candidate) => c.records.length + (isRecordName(c) ? 1000 : 0) - (isSideName(c) ? 2000 : 0) - c.depth;
  const ranked = [...all].sort((a, b) => score(b) - score(a));
  const best = ranked[0]!;
  const others = ranked.slice(1);
  const path = jsonPathOf(best.segments);
  const evidence = [`${path} holds ${best.records.length} objects${isRecordName(best) ? `, under a name APIs give their records (${best.name})` : ''}`];
  for (const o of others.slice(0, 4)) {
    evidence.push(`also seen: ${jsonPathOf(o.segments)} with ${o.records.length} objects${isSideName(o) ? ` (${o.name} is side information)` : ''}`);
  }
  let confidence: Finding['confidence'] = 'high';
  let question: string | undefined;
  const rival = others[0];
  if (best.records.length === 0) {
    confidence = 'low';
    question = `The list at ${path} is empty on the first page, so its records could not be seen; is it the right list, and does the account have data?`;
  } else if (rival && !isRecordName(best) && !isSideName(rival) && rival.records.length >= best.records.length * 0.5) {
    confidence = 'low';
    question = `Two lists could be the records: ${path} (${best.records.length}) and ${jsonPathOf(rival.segments)} (${rival.records.length}); which one is?`;
  } else if (rival && !isRecordName(best)) confidence = 'medium';
  return {
    recordsPath: path,
    records: best.records,
    finding: { value: path, confidence, evidence, alternatives: others.slice(0, 4).map((o) => jsonPathOf(o.segments)) },
    ...(question ? { question } : {}),
  };
}
