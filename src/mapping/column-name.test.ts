import { describe, expect, it } from 'vitest';
import { ColumnNamer, renamedSystemColumns, toColumnName, uniqueColumnNames } from './column-name.js';
import { ColumnName, Identifier } from './mapping.schema.js';

describe('toColumnName', () => {
  it.each([
    ['id', 'id'],
    ['First Name', 'first_name'],
    ['first_name', 'first_name'],
    ['userId', 'userid'],
    ['  e-mail  address!! ', 'e_mail_address'],
    ['a..b__c', 'a_b_c'],
    ['Café Crème', 'cafe_creme'],
    ['ﬁle', 'file'],
    ['2fa', '_2fa'],
    ['123', '_123'],
    ['_id', '_id'],
    ['__v', '_v'],
    ['$ref', 'ref'],
    ['@odata.nextLink', 'odata_nextlink'],
    ['', 'column'],
    ['!!!', 'column'],
    ['_', 'column'],
    ['名前', 'column'],
    ['__proto__', '_proto'],
    ['constructor', 'constructor'],
  ])('%j → %j', (key, expected) => {
    expect(toColumnName(key)).toBe(expected);
  });

  it('renames keys that would take Sluice’s reserved prefix', () => {
    expect(toColumnName('_sluice_run_id')).toBe('src__sluice_run_id');
    expect(toColumnName('_Sluice Loaded At')).toBe('src__sluice_loaded_at');
    expect(toColumnName('sluice_run_id')).toBe('sluice_run_id');
    expect(toColumnName('_sluice')).toBe('_sluice');
  });

  it('renames the names of PostgreSQL system columns, which no table may have', () => {
    expect(['ctid', 'OID', ' xmin ', 'xMax', 'cmin', 'cmax', 'TableOid'].map(toColumnName)).toEqual(['ctid_', 'oid_', 'xmin_', 'xmax_', 'cmin_', 'cmax_', 'tableoid_']);
    expect(toColumnName('ctid_')).toBe('ctid_');
    expect(toColumnName('oid2')).toBe('oid2');
    // A key literally named like the renamed one keeps its name; the system name gets a suffix instead.
    expect([...uniqueColumnNames(['ctid_', 'ctid']).values()]).toEqual(['ctid_', 'ctid__2']);
    for (const name of ['ctid', 'oid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']) {
      const parsed = ColumnName.safeParse(name);
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues[0]!.message).toContain(`use another name, such as "${name}_"`);
      // A table may have such a name: only columns clash.
      expect(Identifier.safeParse(name).success).toBe(true);
    }
  });

  it('explains each rename of a system column name, and nothing else', () => {
    const namer = new ColumnNamer();
    for (const key of ['id', 'CTID', 'First Name', 'xmin!']) namer.nameFor(key);
    expect(namer.notes()).toEqual([
      'field "CTID" is loaded into column "ctid_": "ctid" is the name of a PostgreSQL system column, which no table may have',
      'field "xmin!" is loaded into column "xmin_": "xmin" is the name of a PostgreSQL system column, which no table may have',
    ]);
    expect(renamedSystemColumns([{ key: 'ctid', column: 'ctid_' }])).toHaveLength(1);
    // A key already named like the column (a CSV header the reader named) needs no note.
    expect(renamedSystemColumns([{ key: 'ctid_', column: 'ctid_' }])).toEqual([]);
  });

  it('cuts names to 63 characters without a trailing underscore', () => {
    const name = toColumnName(`${'a'.repeat(62)} b`);
    expect(name).toBe('a'.repeat(62));
    expect(toColumnName('x'.repeat(100))).toHaveLength(63);
  });

  it('always produces a valid ColumnName', () => {
    const keys = ['', '_', '9', '_sluice_x', `_sluice_${'y'.repeat(80)}`, 'Ünïcödé kéy', '\u0000', ' '.repeat(10), `${'é'.repeat(70)}1`, '__proto__'];
    for (const key of keys) expect(ColumnName.safeParse(toColumnName(key)).success, key).toBe(true);
  });
});

describe('uniqueColumnNames', () => {
  it('suffixes later keys whose names collide', () => {
    expect([...uniqueColumnNames(['First Name', 'first_name', 'FIRST-NAME'])]).toEqual([
      ['First Name', 'first_name'],
      ['first_name', 'first_name_2'],
      ['FIRST-NAME', 'first_name_3'],
    ]);
  });

  it('lets a key that already has a suffixed-looking name keep it', () => {
    expect([...uniqueColumnNames(['a', 'A', 'a_2'])]).toEqual([
      ['a', 'a'],
      ['A', 'a_3'],
      ['a_2', 'a_2'],
    ]);
  });

  it('names a repeated key once', () => {
    expect([...uniqueColumnNames(['x', 'x', 'X'])]).toEqual([
      ['x', 'x'],
      ['X', 'x_2'],
    ]);
  });

  it('keeps suffixed names within 63 characters', () => {
    const long = 'k'.repeat(70);
    const names = uniqueColumnNames([long, `${long}!`]);
    expect(names.get(`${long}!`)).toBe(`${'k'.repeat(61)}_2`);
    for (const name of names.values()) expect(ColumnName.safeParse(name).success).toBe(true);
  });

  it('gives every key a distinct name', () => {
    const keys = ['a', 'A', 'a!', 'a_2', 'a 2', '', '!', 'column', '1', '_1'];
    const names = [...uniqueColumnNames(keys).values()];
    expect(new Set(names).size).toBe(keys.length);
  });
});

describe('ColumnNamer', () => {
  it('keeps names stable as keys arrive', () => {
    const namer = new ColumnNamer();
    expect(namer.nameFor('First Name')).toBe('first_name');
    expect(namer.nameFor('first_name')).toBe('first_name_2');
    expect(namer.nameFor('First Name')).toBe('first_name');
    expect(namer.nameFor('first_name_2')).toBe('first_name_2_2');
    expect(namer.has('First Name')).toBe(true);
    expect(namer.has('other')).toBe(false);
    expect(namer.size).toBe(3);
  });
});
