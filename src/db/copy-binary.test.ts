import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { int4ArrayBinary, int4ArrayOf, int4Of, int8Of, parseCopyBinary, sqlLiteral, timestamptzOf } from './copy-binary.js';

// copyOut is part of the Database conformance: both drivers give the same bytes.
describeEachDatabase('Database.copyOut with parseCopyBinary', (fx) => {
  it('reads back what PostgreSQL writes: bigint, int4, int4[], timestamptz, text bytes and NULL', async () => {
    await fx.db.exec(`CREATE TABLE copy_out (a bigint, b int4, c int4[], d timestamptz, e text, f text)`);
    await fx.db.query(`INSERT INTO copy_out VALUES ($1, -7, '{1,2,2147483647}', '2026-11-21T10:11:12.345Z', $2, NULL), (1, 0, '{}', '2000-01-01T00:00:00Z', '', 'x')`, [
      2 ** 40 + 3,
      'héllo "wörld" \\ 😀',
    ]);
    const sql = 'COPY (SELECT a, b, c, d, e, f FROM copy_out ORDER BY a DESC) TO STDOUT (FORMAT binary)';
    const rows = parseCopyBinary(await fx.db.copyOut(sql));
    expect(rows).toHaveLength(2);
    const [first, second] = rows as [(Buffer | null)[], (Buffer | null)[]];
    expect(int8Of(first[0]!)).toBe(2 ** 40 + 3);
    expect(int4Of(first[1]!)).toBe(-7);
    expect(int4ArrayOf(first[2]!)).toEqual([1, 2, 2147483647]);
    expect(timestamptzOf(first[3]!).toISOString()).toBe('2026-11-21T10:11:12.345Z');
    expect(first[4]!.toString('utf8')).toBe('héllo "wörld" \\ 😀');
    expect(first[5]).toBeNull();
    expect(int4ArrayOf(second[2]!)).toEqual([]);
    expect(timestamptzOf(second[3]!).toISOString()).toBe('2000-01-01T00:00:00.000Z');
    expect(second[4]!.length).toBe(0);
    // Inside a transaction too, seeing its own writes.
    const inTx = await fx.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO copy_out (a) VALUES (99)`);
      return parseCopyBinary(await tx.copyOut('COPY (SELECT a FROM copy_out WHERE a = 99) TO STDOUT (FORMAT binary)'));
    });
    expect(int8Of(inTx[0]![0]!)).toBe(99);
  });

  it('takes a string written in as sqlLiteral as the same string, whatever it holds', async () => {
    const hostile = ["o'brien", "'; DROP TABLE copy_out; --", 'back\\slash', "\\'", 'tab\there', 'é 😀', "E'x'", '$1'];
    for (const value of hostile) {
      const rows = parseCopyBinary(await fx.db.copyOut(`COPY (SELECT ${sqlLiteral(value)}::text) TO STDOUT (FORMAT binary)`));
      expect(rows[0]![0]!.toString('utf8'), value).toBe(value);
    }
  });

  it.runIf(fx.kind === 'postgres')('takes an int4[] parameter in binary (int4ArrayBinary) as the array it holds', async () => {
    for (const values of [[], [1], [3, 1, 2147483647, -5], Array.from({ length: 5000 }, (_, i) => i + 1)]) {
      const { rows } = await fx.db.query<{ v: number[]; n: number }>('SELECT $1::int[] AS v, cardinality($1::int[]) AS n', [int4ArrayBinary(values)]);
      expect(rows[0]!.v).toEqual(values);
      expect(rows[0]!.n).toBe(values.length);
    }
  });

  it('gives no rows for an empty result', async () => {
    expect(parseCopyBinary(await fx.db.copyOut('COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT binary)'))).toEqual([]);
  });
});

describe('parseCopyBinary', () => {
  it('int4ArrayOf reads what int4ArrayBinary writes', () => {
    for (const values of [[], [0], [7, -7, 2147483647, -2147483648]]) expect(int4ArrayOf(int4ArrayBinary(values))).toEqual(values);
  });

  it('refuses what is not binary COPY output', () => {
    expect(() => parseCopyBinary(Buffer.from('id\tname\n1\tx\n'))).toThrow(/signature/);
  });
});
