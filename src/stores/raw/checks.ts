import { UserError, validationFailed, type FieldIssue } from '../../errors/index.js';
import { Identifier } from '../../mapping/index.js';
import type { RawRecordInput, RawSource } from './raw.store.js';

/**
 * What every raw store checks at each entry point, before touching its
 * database: the same inputs are refused the same way (validation_failed,
 * naming the field) whichever store holds the records.
 */

/** Records per yielded batch when the caller does not say. */
export const DEFAULT_READ_BATCH = 1000;
/** The largest batch a read yields: bounds the memory of one page. */
export const MAX_READ_BATCH = 100_000;
export const MAX_ROW_NUMBER = 2_147_483_647;

/**
 * Splits a batch into slices of at most `size` records whose JSON text is at
 * most `maxChars` (UTF-16 units), halving a slice until it fits; a single
 * larger record is a slice of its own. Each slice with its JSON.
 */
export function splitBatch(records: readonly RawRecordInput[], size: number, maxChars: number): { records: readonly RawRecordInput[]; json: string }[] {
  const slices: { records: readonly RawRecordInput[]; json: string }[] = [];
  const add = (slice: readonly RawRecordInput[]): void => {
    const json = stringify(slice.map((r) => r.data));
    if (json.length > maxChars && slice.length > 1) {
      const half = Math.ceil(slice.length / 2);
      add(slice.slice(0, half));
      add(slice.slice(half));
    } else {
      slices.push({ records: slice, json });
    }
  };
  for (let start = 0; start < records.length; start += size) add(records.slice(start, start + size));
  return slices;
}

/** The lowest and highest of some row numbers. */
export function rangeOf(rowNumbers: readonly number[]): [number, number] {
  let low = MAX_ROW_NUMBER;
  let high = 0;
  for (const n of rowNumbers) {
    if (n < low) low = n;
    if (n > high) high = n;
  }
  return [low, high];
}

/** JSON text of records' data; a value JSON cannot hold (a BigInt, a cycle) is the caller's mistake. */
export function stringify(data: unknown[]): string {
  try {
    return JSON.stringify(data);
  } catch (error) {
    throw new UserError('validation_failed', `records[].data: not representable as JSON (${(error as Error).message})`, {
      details: { issues: [{ field: 'records[].data', message: 'not representable as JSON' }] },
      cause: error,
    });
  }
}

/**
 * Ids are well-formed Unicode without NUL: a lone surrogate would be turned
 * into U+FFFD on the way to either database (two organisations or sources
 * would share a name), and neither PostgreSQL text nor FerretDB takes NUL.
 */
const usableId = (s: string): boolean => s.isWellFormed() && !s.includes('\u0000');

export function checkOrg(orgId: unknown): void {
  if (typeof orgId !== 'string' || orgId.trim() === '') {
    throw validationFailed([{ field: 'orgId', message: 'must be a non-empty string' }]);
  }
  if (!usableId(orgId)) {
    throw validationFailed([{ field: 'orgId', message: 'must be well-formed Unicode without NUL characters' }]);
  }
}

export function checkTable(table: unknown): void {
  const result = Identifier.safeParse(table);
  if (!result.success) {
    throw validationFailed(result.error.issues.map((issue) => ({ field: 'table', message: issue.message })));
  }
}

export function checkScope(orgId: unknown, table: unknown, source?: RawSource): void {
  checkOrg(orgId);
  checkTable(table);
  if (source === undefined) return;
  const issues: FieldIssue[] = [];
  if (typeof source !== 'object' || source === null) {
    issues.push({ field: 'source', message: 'must be { kind, id }' });
  } else {
    if (source.kind !== 'file' && source.kind !== 'run') issues.push({ field: 'source.kind', message: 'must be "file" or "run"' });
    if (typeof source.id !== 'string' || source.id.trim() === '') issues.push({ field: 'source.id', message: 'must be a non-empty string' });
    else if (!usableId(source.id)) issues.push({ field: 'source.id', message: 'must be well-formed Unicode without NUL characters' });
  }
  if (issues.length > 0) throw validationFailed(issues);
}

export function checkRecords(records: readonly RawRecordInput[]): void {
  if (!Array.isArray(records)) throw validationFailed([{ field: 'records', message: 'must be an array' }]);
  const seen = new Set<number>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const n = record?.rowNumber;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ROW_NUMBER) {
      throw validationFailed([{ field: `records[${i}].rowNumber`, message: `must be an integer from 1 to ${MAX_ROW_NUMBER}` }]);
    }
    if (seen.has(n)) throw validationFailed([{ field: `records[${i}].rowNumber`, message: `${n} appears twice in the batch` }]);
    seen.add(n);
    if (record!.data === undefined) throw validationFailed([{ field: `records[${i}].data`, message: 'must be a JSON value (null, not undefined)' }]);
  }
}

export function checkWatermark(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw validationFailed([{ field: 'sinceWatermark', message: 'must be a non-negative integer' }]);
  }
  return value;
}

export function checkBatchSize(value: unknown): number {
  if (value === undefined) return DEFAULT_READ_BATCH;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_READ_BATCH) {
    throw validationFailed([{ field: 'batchSize', message: `must be an integer from 1 to ${MAX_READ_BATCH}` }]);
  }
  return value;
}

export function checkRowNumbers(rowNumbers: readonly number[]): void {
  if (!Array.isArray(rowNumbers)) throw validationFailed([{ field: 'rowNumbers', message: 'must be an array' }]);
  const seen = new Set<number>();
  for (let i = 0; i < rowNumbers.length; i++) {
    const n = rowNumbers[i];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ROW_NUMBER) {
      throw validationFailed([{ field: `rowNumbers[${i}]`, message: `must be an integer from 1 to ${MAX_ROW_NUMBER}` }]);
    }
    if (seen.has(n)) throw validationFailed([{ field: `rowNumbers[${i}]`, message: `${n} appears twice in the batch` }]);
    seen.add(n);
  }
}
