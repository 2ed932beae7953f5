import { ColumnNamer, pathFor, RecordProfiles, type FieldMappingInput } from '../../../mapping/index.js';
import type { Finding } from './finding.js';

export interface FieldsProposal {
  mappings: FieldMappingInput[];
  mappingsFinding: Finding<number>;
  primaryKey: Finding<{ field: string; column: string } | null>;
  incremental: Finding<{ cursorField: string } | null>;
}

const ID_LIKE = /^(id|_id|uuid|guid|key|code|number|sku)$|(_id|_uuid|_key|Id|ID|Uuid)$/;
const UPDATED_LIKE = /(updated|modified|changed|last_?edit|edited|mtime|sys_?updated)/i;
const CREATED_LIKE = /(created|inserted|timestamp|_at$|At$|time$|date$)/i;

/**
 * Column mappings with tolerant types (a few stray values do not spoil a column, as uploads), a primary key
 * candidate (unique, never null, id-like, across every page read) and an incremental cursor candidate (a
 * timestamp, or an id that only grows).
 */
export function proposeFields(records: readonly Record<string, unknown>[]): FieldsProposal {
  const profiles = new RecordProfiles();
  for (const r of records) profiles.observe(r, false);
  const mappings = profiles.mappings();
  const namer = new ColumnNamer();
  const columnOf = new Map<string, string>();
  const keys: string[] = [];
  for (const r of records) for (const k of Object.keys(r)) if (!columnOf.has(k)) {
    columnOf.set(k, namer.nameFor(k));
    keys.push(k);
  }
  const typeOf = new Map(mappings.map((m) => [m.source, m.type]));
  const typeOfKey = (k: string) => typeOf.get(pathFor(k));

  const mappingsFinding: Finding<number> = {
    value: mappings.length,
    confidence: records.length >= 5 ? 'high' : records.length > 0 ? 'medium' : 'none',
    evidence: [
      `${mappings.length} fields read from ${records.length} records, each typed as nearly all its values agree (a few stray values are rejected when loading, not allowed to turn the column into text)`,
      ...mappings.slice(0, 12).map((m) => `${m.source} → ${m.target} (${m.type})`),
    ],
  };

  // Primary key: present and distinct in every record read.
  const unique = keys.filter((k) => {
    const seen = new Set<string>();
    for (const r of records) {
      const v = r[k];
      if (typeof v !== 'string' && typeof v !== 'number') return false;
      if (typeof v === 'string' && v.trim() === '') return false;
      const key = `${typeof v}:${v}`;
      if (seen.has(key)) return false;
      seen.add(key);
    }
    return true;
  });
  let primaryKey: FieldsProposal['primaryKey'];
  const idLike = unique.filter((k) => ID_LIKE.test(k)).sort((a, b) => rankId(a) - rankId(b));
  if (records.length < 2) {
    primaryKey = { value: null, confidence: 'none', evidence: ['too few records to tell which field is unique'] };
  } else if (idLike.length > 0) {
    const field = idLike[0]!;
    primaryKey = {
      value: { field, column: columnOf.get(field)! },
      confidence: field === 'id' || field === '_id' ? 'high' : 'medium',
      evidence: [`${field} is present, not null and different in each of the ${records.length} records read, and its name says it identifies`],
      alternatives: [...idLike.slice(1), ...unique.filter((k) => !ID_LIKE.test(k))].slice(0, 5),
    };
  } else if (unique.length > 0) {
    primaryKey = {
      value: null,
      confidence: 'low',
      evidence: [`no id-like field; unique in the ${records.length} records read, though their names do not say they identify: ${unique.slice(0, 5).join(', ')}`],
      alternatives: unique.slice(0, 5),
    };
  } else primaryKey = { value: null, confidence: 'none', evidence: [`no field is present and different in each of the ${records.length} records read`] };

  // Incremental cursor: a timestamp, updated-like first; else an integer id that grows from record to record.
  const stamps = keys.filter((k) => {
    const t = typeOfKey(k);
    return (t === 'timestamp' || t === 'date') && records.every((r) => r[k] !== null && r[k] !== undefined);
  });
  const updated = stamps.find((k) => UPDATED_LIKE.test(k));
  const created = stamps.find((k) => CREATED_LIKE.test(k));
  let incremental: FieldsProposal['incremental'];
  const note = 'a probe cannot tell which query parameter filters on it; add one to the parameters (for example since={{ cursor }}) when the API documents it';
  if (updated ?? created ?? stamps[0]) {
    const field = (updated ?? created ?? stamps[0])!;
    const latest = records.map((r) => String(r[field])).sort().at(-1);
    incremental = {
      value: { cursorField: field },
      confidence: updated ? 'medium' : 'low',
      evidence: [`${field} is a ${typeOfKey(field)} in each record read (latest ${latest})${updated ? ', named as the time a record last changed' : ''}`, note],
      alternatives: stamps.filter((k) => k !== field),
    };
  } else {
    const growing = primaryKey.value && typeOfKey(primaryKey.value.field) === 'integer' && increases(records.map((r) => Number(r[primaryKey.value!.field])));
    incremental = growing
      ? {
          value: { cursorField: primaryKey.value!.field },
          confidence: 'low',
          evidence: [`no timestamp field; ${primaryKey.value!.field} is an integer that grows from record to record`, note],
        }
      : { value: null, confidence: 'none', evidence: ['no timestamp field and no id that grows: each run reads everything'] };
  }
  return { mappings, mappingsFinding, primaryKey, incremental };
}

const rankId = (k: string) => (k === 'id' ? 0 : k === '_id' ? 1 : /uuid|guid/i.test(k) ? 2 : /(_id|Id|ID)$/.test(k) ? 4 : 3);

function increases(values: number[]): boolean {
  for (let i = 1; i < values.length; i++) if (!(values[i]! > values[i - 1]!)) return false;
  return values.length >= 2;
}
