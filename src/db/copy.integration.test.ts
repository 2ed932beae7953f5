import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { COPY_CHUNK_BYTES } from './copy-chunks.js';

async function* lines(count: number, width = 0, perChunk = 1000): AsyncGenerator<string> {
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    chunk += `${i}\tname ${i}${width > 0 ? ` ${'w'.repeat(width)}` : ''}\n`;
    if (i % perChunk === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

async function* ids(count: number): AsyncGenerator<string> {
  for (let i = 1; i <= count; i++) yield `${i}\n`;
}

// copyFrom is part of the Database conformance: both drivers load the same rows the same way.
describeEachDatabase('Database.copyFrom', (fx) => {
  it('copies text-format rows and reports how many', async () => {
    await fx.db.exec('CREATE TABLE copy_basic (id bigint, name text)');
    const copied = await fx.db.copyFrom('COPY copy_basic (id, name) FROM STDIN', lines(2500));
    expect(copied).toBe(2500);
    const { rows } = await fx.db.query<{ n: number; last: string }>('SELECT count(*)::int AS n, max(name) AS last FROM copy_basic');
    expect(rows[0]).toEqual({ n: 2500, last: 'name 999' });
  });

  it('keeps escapes, NULLs, unicode and bytes given as Uint8Array', async () => {
    await fx.db.exec('CREATE TABLE copy_escape (a text, b jsonb)');
    const encoder = new TextEncoder();
    const copied = await fx.db.copyFrom(
      'COPY copy_escape (a, b) FROM STDIN',
      (async function* () {
        yield 'tab\\there\\nnew\\\\slash\t{"k":"v\\\\"x"}\n';
        yield encoder.encode('é 😀 "q"\t\\N\n\\N\t[1,2]');
      })(),
    );
    expect(copied).toBe(3);
    const { rows } = await fx.db.query<{ a: string | null; b: unknown }>('SELECT a, b FROM copy_escape ORDER BY a NULLS LAST');
    expect(rows).toEqual([
      { a: 'tab\there\nnew\\slash', b: { k: 'v"x' } },
      { a: 'é 😀 "q"', b: null },
      { a: null, b: [1, 2] },
    ]);
  });

  it('is all or nothing inside a transaction and on its own', async () => {
    await fx.db.exec('CREATE TABLE copy_atomic (id bigint)');
    await expect(
      fx.db.transaction(async (tx) => {
        await tx.copyFrom('COPY copy_atomic (id) FROM STDIN', ids(10));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    // A bad value in the second half: the good first half is not kept either.
    await expect(
      fx.db.copyFrom(
        'COPY copy_atomic (id) FROM STDIN',
        (async function* () {
          yield '1\n2\n';
          yield 'not a number\n';
        })(),
      ),
    ).rejects.toThrow(/invalid input syntax/);
    // A source that fails midway cancels the COPY.
    await expect(
      fx.db.copyFrom(
        'COPY copy_atomic (id) FROM STDIN',
        (async function* () {
          yield '1\n2\n';
          throw new Error('source broke');
        })(),
      ),
    ).rejects.toThrow('source broke');
    expect((await fx.db.query('SELECT * FROM copy_atomic')).rows).toEqual([]);
    // The connection is still usable afterwards.
    expect(await fx.db.copyFrom('COPY copy_atomic (id) FROM STDIN', ids(3))).toBe(3);
  });

  it('copies inside a transaction next to other statements', async () => {
    await fx.db.exec('CREATE TABLE copy_tx (id bigint, name text)');
    const n = await fx.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO copy_tx VALUES (0, 'first')`);
      const copied = await tx.copyFrom('COPY copy_tx (id, name) FROM STDIN', lines(100));
      const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM copy_tx');
      return copied + rows[0]!.n;
    });
    expect(n).toBe(201);
  });

  it('fails on an unknown table even with no rows', async () => {
    await expect(fx.db.copyFrom('COPY no_such_table (id) FROM STDIN', lines(0))).rejects.toThrow(/does not exist/);
  });

  it('loads inputs larger than one embedded chunk, and a row larger than a chunk', async () => {
    await fx.db.exec('CREATE TABLE copy_big (id bigint, name text)');
    // ~20 MiB in rows of ~1 KiB: at least three statements on the embedded database.
    const rows = Math.ceil((2.5 * COPY_CHUNK_BYTES) / 1024);
    expect(await fx.db.copyFrom('COPY copy_big (id, name) FROM STDIN', lines(rows, 1000, 300))).toBe(rows);
    const huge = 'h'.repeat(COPY_CHUNK_BYTES + 1000);
    const copied = await fx.db.copyFrom(
      'COPY copy_big (id, name) FROM STDIN',
      (async function* () {
        yield '-1\tbefore\n-2\t';
        yield huge.slice(0, 1000);
        yield `${huge.slice(1000)}\n-3\tafter\n`;
      })(),
    );
    expect(copied).toBe(3);
    const { rows: check } = await fx.db.query<{ n: number; len: number }>(
      'SELECT count(*)::int AS n, max(length(name))::int AS len FROM copy_big',
    );
    expect(check[0]).toEqual({ n: rows + 3, len: huge.length });
  });
});
