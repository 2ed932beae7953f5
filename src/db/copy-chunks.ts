/**
 * Feeding `COPY … FROM STDIN` to the embedded database. PGlite reads COPY
 * input from a file (`/dev/blob`) that must be handed over whole, so a large
 * input is split into several COPY statements of bounded size. A row must
 * never straddle two statements (each would see half a row), so the input is
 * cut only after a newline byte: in COPY's text format a newline inside a
 * value is written `\n`, hence every raw 0x0A ends a row. UTF-8 never uses
 * 0x0A inside a multi-byte character, so cutting bytes there is safe too.
 */

/** Most bytes in one COPY statement on the embedded database (a single longer row goes alone). */
export const COPY_CHUNK_BYTES = 8 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * The statement to run per chunk: `FROM STDIN` becomes `FROM '/dev/blob'`.
 * Formats whose row ends cannot be found by looking for newlines (csv allows
 * them inside quotes; binary has none) are refused.
 */
export function blobCopySql(sql: string): string {
  const match = /\bFROM\s+STDIN\b/i.exec(sql);
  if (!match) throw new Error('copyFrom expects a COPY … FROM STDIN statement');
  const options = sql.slice(match.index + match[0].length);
  if (/\b(csv|binary)\b/i.test(options)) {
    throw new Error('copyFrom on the embedded database takes the text format only: csv and binary rows cannot be split at newlines');
  }
  return `${sql.slice(0, match.index)}FROM '/dev/blob'${options}`;
}

/**
 * Regroups `source` into chunks of whole rows, each at most `maxBytes` long
 * unless it holds a single row longer than that. Each chunk is yielded as
 * the list of its parts (views on the input, not copies). Memory stays
 * within about two chunks whatever the size of the input.
 */
export async function* rowChunks(source: AsyncIterable<string | Uint8Array>, maxBytes = COPY_CHUNK_BYTES): AsyncGenerator<Uint8Array[]> {
  if (!(maxBytes > 0)) throw new Error('maxBytes must be positive');
  const encoder = new TextEncoder();
  let parts: Uint8Array[] = [];
  let size = 0;
  /** Bytes at the start of `parts` that end with a complete row. */
  let complete = 0;

  /** Takes the first `n` bytes off `parts`, cutting the part it ends in. */
  const take = (n: number): Uint8Array[] => {
    const out: Uint8Array[] = [];
    let need = n;
    let i = 0;
    for (; i < parts.length && need > 0; i++) {
      const part = parts[i]!;
      if (part.length <= need) {
        out.push(part);
        need -= part.length;
      } else {
        out.push(part.subarray(0, need));
        parts[i] = part.subarray(need);
        break;
      }
    }
    parts = parts.slice(i);
    size -= n;
    complete = 0;
    return out;
  };

  for await (const chunk of source) {
    let bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    while (bytes.length > 0) {
      const room = maxBytes - size;
      if (bytes.length <= room) {
        const newline = bytes.lastIndexOf(NEWLINE);
        parts.push(bytes);
        size += bytes.length;
        if (newline >= 0) complete = size - (bytes.length - newline - 1);
        break;
      }
      // The chunk would overflow: end it at the last row end that still fits.
      const newline = room > 0 ? bytes.lastIndexOf(NEWLINE, room - 1) : -1;
      if (newline >= 0) {
        parts.push(bytes.subarray(0, newline + 1));
        size += newline + 1;
        bytes = bytes.subarray(newline + 1);
        yield take(size);
      } else if (complete > 0) {
        // Send the whole rows pending; the partial row waits for the next chunk.
        yield take(complete);
      } else {
        // One row longer than maxBytes: it cannot be split, so it goes alone.
        const end = bytes.indexOf(NEWLINE);
        if (end < 0) {
          parts.push(bytes);
          size += bytes.length;
          break;
        }
        parts.push(bytes.subarray(0, end + 1));
        size += end + 1;
        bytes = bytes.subarray(end + 1);
        yield take(size);
      }
    }
  }
  // COPY accepts a last row without its newline.
  if (size > 0) yield take(size);
}

/** `COPY … TO STDOUT` rewritten to write PGlite's `/dev/blob`, the embedded database's only way out for COPY. */
export function blobCopyOutSql(sql: string): string {
  const match = /\bTO\s+STDOUT\b/i.exec(sql);
  if (!match) throw new Error('copyOut expects a COPY … TO STDOUT statement');
  return `${sql.slice(0, match.index)}TO '/dev/blob'${sql.slice(match.index + match[0].length)}`;
}
