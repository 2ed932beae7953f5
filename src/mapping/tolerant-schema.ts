import { ColumnNamer } from './column-name.js';
import { inferType, widenType } from './infer.js';
import type { ColumnType, FieldMappingInput } from './mapping.schema.js';

/**
 * Column types for uploaded files that a few bad values cannot spoil.
 *
 * Plain widening (src/mapping/infer.ts) turns a whole price column into
 * text because one cell says "twelve", and a date column into text because
 * of one "2026-02-30". For a file, the better answer is the type nearly all
 * values agree on, with the few that do not rejected and explained. So each
 * column counts its values per kind, and takes the narrowest typed kind
 * that fits all but a few outliers: at most `max(1, 2%)` of its non-empty
 * values, with at least two values fitting. A column with no clear majority
 * widens as before (often to string), and nothing is rejected for it.
 */
export const OUTLIER_SHARE = 0.02;

type Kind = ColumnType;

/** The typed families a column can fall back to, each with its narrow and wide type. */
const FAMILIES = [
  { narrow: 'integer', wide: 'number' },
  { narrow: 'date', wide: 'timestamp' },
  { narrow: 'boolean', wide: 'boolean' },
] as const;

export class ColumnProfile {
  readonly counts = new Map<Kind, number>();
  nonEmpty = 0;
  #widened: ColumnType | null = null;

  observe(value: unknown, fromText: boolean): void {
    const kind = inferType(value, { fromText });
    if (kind === null) return;
    this.nonEmpty += 1;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.#widened = this.#widened === null ? kind : widenType(this.#widened, kind);
  }

  /** The column's type, and whether values of other kinds are to be rejected. */
  type(): { type: ColumnType; tolerant: boolean } {
    const widened = this.#widened;
    if (widened === null) return { type: 'string', tolerant: false };
    // Every value fits one typed column (1 and 3.5 make a number column): nothing to tolerate.
    if (widened !== 'string' && widened !== 'json') return { type: widened, tolerant: false };
    const allowed = Math.max(1, Math.floor(this.nonEmpty * OUTLIER_SHARE));
    for (const { narrow, wide } of FAMILIES) {
      const narrowCount = this.counts.get(narrow) ?? 0;
      const fitting = narrowCount + (wide === narrow ? 0 : (this.counts.get(wide) ?? 0));
      if (fitting >= 2 && this.nonEmpty - fitting <= allowed) return { type: fitting === narrowCount ? narrow : wide, tolerant: true };
    }
    return { type: widened, tolerant: false };
  }
}

/** A JSONPath to a top-level key: `$.name` when it is a plain name (the fast load path takes those), else `$['…']`. */
export const pathFor = (key: string): string =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `$.${key}` : `$['${key.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;

/** The profiles of a record's top-level fields, one column each, in first-seen order. */
export class RecordProfiles {
  readonly #profiles = new Map<string, ColumnProfile>();

  observe(record: Readonly<Record<string, unknown>>, fromText: boolean): void {
    for (const [key, value] of Object.entries(record)) {
      let profile = this.#profiles.get(key);
      if (!profile) this.#profiles.set(key, (profile = new ColumnProfile()));
      profile.observe(value, fromText);
    }
  }

  /** One mapping per field: its path, a column name (made unique) and the column's tolerant type. */
  mappings(): FieldMappingInput[] {
    return this.named().mappings;
  }

  /** The mappings, and the notes the run's log should carry about their names (see ColumnNamer.notes). */
  named(): { mappings: FieldMappingInput[]; notes: string[] } {
    const namer = new ColumnNamer();
    const mappings = [...this.#profiles].map(([key, profile]) => ({ source: pathFor(key), target: namer.nameFor(key), type: profile.type().type }));
    return { mappings, notes: namer.notes() };
  }
}
