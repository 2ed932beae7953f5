/**
 * PostgreSQL's binary COPY format (`COPY … TO STDOUT (FORMAT binary)`),
 * read back into fields. Text comes out as its UTF-8 bytes, which the
 * query protocol cannot give: node-postgres decodes every value to a
 * JavaScript string, and the fast ingest path only wants the bytes
 * (a raw segment is megabytes of JSON it copies, not reads).
 *
 * Layout (PostgreSQL docs, "COPY", Binary Format): an 11-byte signature,
 * a 32-bit flags word, a 32-bit header-extension length and that many
 * bytes; then per row a 16-bit field count (-1 ends the data) and per
 * field a 32-bit length (-1 for NULL) followed by the value in the type's
 * binary send format. All integers are big-endian.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

/** The rows of a binary COPY output, each a list of fields (views into `data`; null for NULL). */
export function parseCopyBinary(data: Buffer): (Buffer | null)[][] {
  if (data.length < 19 || !data.subarray(0, 11).equals(SIGNATURE)) throw new Error('not PostgreSQL binary COPY data (bad signature)');
  let pos = 15 + 4 + data.readInt32BE(15);
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const count = data.readInt16BE(pos);
    pos += 2;
    if (count === -1) return rows;
    const fields: (Buffer | null)[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const length = data.readInt32BE(pos);
      pos += 4;
      if (length === -1) {
        fields[i] = null;
        continue;
      }
      fields[i] = data.subarray(pos, pos + length);
      pos += length;
    }
    rows.push(fields);
  }
}

/** A bigint (int8) value, as a number (Sluice's counters stay far below 2^53). */
export const int8Of = (field: Buffer): number => Number(field.readBigInt64BE(0));

export const int4Of = (field: Buffer): number => field.readInt32BE(0);

/** A timestamptz value (microseconds since 2000-01-01 UTC), to the millisecond. */
export const timestamptzOf = (field: Buffer): Date => new Date(PG_EPOCH_MS + Math.floor(Number(field.readBigInt64BE(0)) / 1000));

/** A one-dimensional int4[] without NULLs (an empty array has no dimension). */
export function int4ArrayOf(field: Buffer): number[] {
  const dimensions = field.readInt32BE(0);
  if (dimensions === 0) return [];
  if (dimensions !== 1 || field.readInt32BE(4) !== 0) throw new Error('expected a one-dimensional int4[] without NULLs');
  const length = field.readInt32BE(12);
  const out: number[] = new Array(length);
  // After the dimension (size, lower bound): each element as a 4-byte length and a 4-byte value.
  for (let i = 0, pos = 20; i < length; i++, pos += 8) out[i] = field.readInt32BE(pos + 4);
  return out;
}

/**
 * An int4[] in the binary send format, the inverse of int4ArrayOf. Given
 * to node-postgres as a parameter (a Buffer goes as a binary parameter),
 * the server reads it without parsing text: a raw segment's 5,000 row
 * numbers otherwise cost an array literal built in JavaScript and parsed
 * by the server. PostgreSQL servers only: PGlite takes a Buffer as bytea.
 */
export function int4ArrayBinary(values: readonly number[]): Buffer {
  const n = values.length;
  if (n === 0) {
    const empty = Buffer.alloc(12);
    empty.writeInt32BE(23, 8);
    return empty;
  }
  const out = Buffer.allocUnsafe(20 + 8 * n);
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(0, 4); // no NULLs
  out.writeInt32BE(23, 8); // element type: int4
  out.writeInt32BE(n, 12);
  out.writeInt32BE(1, 16); // lower bound
  for (let i = 0, pos = 20; i < n; i++, pos += 8) {
    out.writeInt32BE(4, pos);
    out.writeInt32BE(values[i]!, pos + 4);
  }
  return out;
}

/**
 * A string as an SQL literal, for the statements that take no parameters
 * (COPY): quotes doubled, and an `E''` literal with doubled backslashes
 * when it holds any, so the text means the same whatever
 * standard_conforming_strings says.
 */
export function sqlLiteral(value: string): string {
  const quoted = value.replaceAll("'", "''");
  return value.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}
