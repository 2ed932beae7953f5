/**
 * Source keys → warehouse column names (the ColumnName shape): `First Name`
 * → `first_name`, `Café` → `cafe`, `2fa` → `_2fa`, `_id` → `_id`.
 *
 * A leading underscore written in the key is kept (one of them): `_id` is
 * common (MongoDB) and often sits beside a plain `id`, which it must not
 * collide with. That is also why keys starting with `_sluice_` need renaming:
 * that prefix belongs to Sluice's own columns (`_sluice_run_id`), and why
 * the names of PostgreSQL's system columns get a trailing underscore
 * (`ctid` → `ctid_`): no table may have a column of that name.
 */

import { SYSTEM_COLUMN_NAMES } from './mapping.schema.js';

const MAX_LENGTH = 63;
const RESERVED_PREFIX = '_sluice_';
const FALLBACK = 'column';

/** Cuts to the length PostgreSQL keeps (63 bytes; names here are ASCII) without a dangling `_`. */
function fit(name: string, max = MAX_LENGTH): string {
  return name.length <= max ? name : name.slice(0, max).replace(/_+$/, '');
}

/** A safe column name for any source key (not deduplicated: see uniqueColumnNames). */
export function toColumnName(key: string): string {
  const name = plainColumnName(key);
  return SYSTEM_COLUMN_NAMES.has(name) ? `${name}_` : name;
}

/** toColumnName before the names of system columns are set aside. */
function plainColumnName(key: string): string {
  // NFKD splits accents from letters (é → e + ◌́) so they can be dropped; ligatures become letters.
  const folded = key.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  const core = folded.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (core === '') return FALLBACK;
  let name = folded.startsWith('_') || /^[0-9]/.test(core) ? `_${core}` : core;
  if (name.startsWith(RESERVED_PREFIX)) name = `src_${name}`;
  return fit(name);
}

/**
 * The notes a load writes to its run's log for source keys whose column had
 * to take another name than the key's own because PostgreSQL reserves it
 * (`"ctid" → column "ctid_"`), so the rename is never a surprise.
 */
export function renamedSystemColumns(columns: Iterable<{ key: string; column: string }>): string[] {
  const notes: string[] = [];
  for (const { key, column } of columns) {
    const plain = plainColumnName(key);
    if (SYSTEM_COLUMN_NAMES.has(plain) && column !== key) {
      notes.push(`field ${JSON.stringify(key)} is loaded into column "${column}": "${plain}" is the name of a PostgreSQL system column, which no table may have`);
    }
  }
  return notes;
}

/** `base_n`, cut so the suffix survives the length limit. */
function withSuffix(base: string, n: number): string {
  const suffix = `_${n}`;
  return `${fit(base, MAX_LENGTH - suffix.length)}${suffix}`;
}

function firstFree(base: string, used: ReadonlySet<string>): string {
  for (let n = 2; ; n += 1) {
    const candidate = withSuffix(base, n);
    if (!used.has(candidate)) return candidate;
  }
}

/**
 * Column names for a known set of keys, each distinct: the first key to
 * claim a name gets it, later ones `_2`, `_3`… (`First Name`, `first_name`
 * → `first_name`, `first_name_2`). Suffixes are chosen after every plain
 * name is placed, so a key that is literally `a_2` keeps its name.
 */
export function uniqueColumnNames(keys: readonly string[]): Map<string, string> {
  const chosen = new Map<string, string>();
  const used = new Set<string>();
  const pending: string[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    const base = toColumnName(key);
    if (used.has(base)) {
      pending.push(key);
    } else {
      chosen.set(key, base);
      used.add(base);
    }
  }
  for (const key of pending) {
    const name = firstFree(toColumnName(key), used);
    chosen.set(key, name);
    used.add(name);
  }
  // In the order of `keys`, whichever pass named them.
  return new Map([...seen].map((key) => [key, chosen.get(key)!]));
}

/**
 * Names keys as they arrive, for streams whose keys are not known up front:
 * a key keeps the name it got first, and a new key whose name is taken gets
 * the first free `_2`, `_3`….
 */
export class ColumnNamer {
  readonly #names = new Map<string, string>();
  readonly #used = new Set<string>();

  /** The column for `key`, allocating one on first sight. */
  nameFor(key: string): string {
    const known = this.#names.get(key);
    if (known !== undefined) return known;
    const base = toColumnName(key);
    const name = this.#used.has(base) ? firstFree(base, this.#used) : base;
    this.#names.set(key, name);
    this.#used.add(name);
    return name;
  }

  /** Whether `key` already has a column. */
  has(key: string): boolean {
    return this.#names.has(key);
  }

  /** Notes for the keys named so far whose column could not take the key's own name (renamedSystemColumns). */
  notes(): string[] {
    return renamedSystemColumns([...this.#names].map(([key, column]) => ({ key, column })));
  }

  /** How many keys have been named. */
  get size(): number {
    return this.#names.size;
  }
}
