/** PostgreSQL's system columns: a field of that name becomes `<name>_` (src/mapping/mapping.schema.ts). */
const SYSTEM_COLUMN_NAMES: ReadonlySet<string> = new Set(['ctid', 'oid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);

/**
 * The column name the API gives a source field (src/mapping/column-name.ts,
 * toColumnName): `First Name` → `first_name`, `2fa` → `_2fa`, `ctid` →
 * `ctid_`. The web app uses it to match a record's keys to the columns they
 * became.
 */
export function columnNameOf(key: string): string {
  const folded = key.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  const core = folded.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (core === '') return 'column';
  let name = folded.startsWith('_') || /^[0-9]/.test(core) ? `_${core}` : core;
  if (name.startsWith('_sluice_')) name = `src_${name}`;
  if (name.length > 63) name = name.slice(0, 63).replace(/_+$/, '');
  return SYSTEM_COLUMN_NAMES.has(name) ? `${name}_` : name;
}
