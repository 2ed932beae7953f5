import { isUtf8 } from 'node:buffer';

/**
 * Streaming UTF-8 checks that say *where* a file is broken, so the reader
 * can reject the rows holding bad bytes instead of replacing them with
 * U+FFFD unnoticed (what `Buffer.toString` and a non-fatal TextDecoder do)
 * or failing the whole file (a fatal TextDecoder).
 *
 * The common case costs one native `isUtf8` per chunk. Only a chunk that
 * fails it is walked byte by byte, following the WHATWG decoder so that an
 * invalid sequence is the same "maximal subpart" a browser would replace
 * with one U+FFFD.
 */

/** One invalid byte sequence. Offsets are absolute: in the file's bytes, and in the decoded text. */
export interface InvalidUtf8 {
  byteOffset: number;
  /** Where its U+FFFD sits in the decoded text (UTF-16 units, BOM excluded). */
  charOffset: number;
  /** The bytes, in hex: `ff`, `e2 82`. */
  bytes: string;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Length of the valid sequence starting at `i`, or minus the length of the
 * invalid maximal subpart there. `end` bounds the bytes that may be read.
 */
function sequenceAt(buf: Uint8Array, i: number, end: number): number {
  const b = buf[i]!;
  if (b < 0x80) return 1;
  let need: number;
  let lower = 0x80;
  let upper = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    if (b === 0xe0) lower = 0xa0;
    if (b === 0xed) upper = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    if (b === 0xf0) lower = 0x90;
    if (b === 0xf4) upper = 0x8f;
  } else return -1;
  for (let k = 1; k <= need; k += 1) {
    const j = i + k;
    if (j >= end) return -k;
    const c = buf[j]!;
    if (c < lower || c > upper) return -k;
    lower = 0x80;
    upper = 0xbf;
  }
  return need + 1;
}

/**
 * Where a trailing, possibly incomplete sequence starts, so it can wait for
 * the next chunk; `buf.length` when the chunk ends on a boundary.
 */
function incompleteTail(buf: Uint8Array): number {
  const len = buf.length;
  for (let j = len - 1; j >= 0 && j >= len - 3; j -= 1) {
    const b = buf[j]!;
    if (b < 0x80) return len;
    if (b >= 0xc0) {
      const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return len - j < size ? j : len;
    }
  }
  return len;
}

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** Splits a byte stream into regions that end on character boundaries and checks each. */
class Utf8Regions {
  #carry: Buffer | null = null;
  /** File offset of the next region's first byte. */
  #byteOffset = 0;
  #bomChecked = false;
  bom = false;

  /** The next complete region of `chunk` (with what the previous one left), BOM removed. */
  protected region(chunk: Uint8Array, final: boolean): Buffer {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#carry !== null) {
      buf = Buffer.concat([this.#carry, buf]);
      this.#carry = null;
    }
    if (!this.#bomChecked) {
      if (buf.length < 3 && !final) {
        // Too short to tell whether it starts with a BOM.
        this.#carry = Buffer.from(buf);
        return buf.subarray(0, 0);
      }
      this.#bomChecked = true;
      if (buf[0] === UTF8_BOM[0] && buf[1] === UTF8_BOM[1] && buf[2] === UTF8_BOM[2]) {
        this.bom = true;
        this.#byteOffset = 3;
        buf = buf.subarray(3);
      }
    }
    const cut = final ? buf.length : incompleteTail(buf);
    if (cut < buf.length) this.#carry = Buffer.from(buf.subarray(cut));
    return buf.subarray(0, cut);
  }

  /** The file offset of the region just returned, then advances past it. */
  protected advance(length: number): number {
    const start = this.#byteOffset;
    this.#byteOffset += length;
    return start;
  }

  /** Bytes taken so far, BOM included. */
  get bytes(): number {
    return this.#byteOffset + (this.#carry?.length ?? 0);
  }
}

/**
 * Decodes a byte stream to text, chunk by chunk, noting every invalid
 * sequence in `invalid` (in order) with where its U+FFFD is in the text.
 * The caller consumes `invalid` as it goes, so it stays short.
 */
export class Utf8Decoder extends Utf8Regions {
  /** Invalid sequences not yet taken by the caller, in order. */
  readonly invalid: InvalidUtf8[] = [];
  #charOffset = 0;

  /** The text of `chunk`, less a trailing incomplete character kept for the next call. */
  decode(chunk: Uint8Array): string {
    return this.#decode(this.region(chunk, false));
  }

  /** The text left at the end of the stream (an incomplete character is invalid). */
  end(): string {
    return this.#decode(this.region(new Uint8Array(0), true));
  }

  #decode(region: Buffer): string {
    const byteStart = this.advance(region.length);
    if (region.length === 0) return '';
    if (isUtf8(region)) {
      const text = region.toString('utf8');
      this.#charOffset += text.length;
      return text;
    }
    let text = '';
    let spanStart = 0;
    let i = 0;
    while (i < region.length) {
      if (region[i]! < 0x80) {
        i += 1;
        continue;
      }
      const n = sequenceAt(region, i, region.length);
      if (n > 0) {
        i += n;
        continue;
      }
      text += region.toString('utf8', spanStart, i);
      this.invalid.push({ byteOffset: byteStart + i, charOffset: this.#charOffset + text.length, bytes: hex(region.subarray(i, i - n)) });
      text += '\uFFFD';
      i -= n;
      spanStart = i;
    }
    text += region.toString('utf8', spanStart, region.length);
    this.#charOffset += text.length;
    return text;
  }
}

/**
 * Checks a byte stream without decoding it, for parsers that take bytes:
 * returns each region with its invalid bytes replaced by `?` (same length,
 * so offsets hold) and the invalid sequences found. BOM kept out of the
 * region; `byteStart` is the region's file offset.
 */
export class Utf8Checker extends Utf8Regions {
  check(chunk: Uint8Array, final = false): { region: Buffer; byteStart: number; invalid: InvalidUtf8[] } {
    const region = this.region(chunk, final);
    const byteStart = this.advance(region.length);
    if (region.length === 0 || isUtf8(region)) return { region, byteStart, invalid: [] };
    const patched = Buffer.from(region);
    const invalid: InvalidUtf8[] = [];
    let i = 0;
    while (i < patched.length) {
      if (patched[i]! < 0x80) {
        i += 1;
        continue;
      }
      const n = sequenceAt(patched, i, patched.length);
      if (n > 0) {
        i += n;
        continue;
      }
      invalid.push({ byteOffset: byteStart + i, charOffset: -1, bytes: hex(region.subarray(i, i - n)) });
      patched.fill(0x3f, i, i - n);
      i -= n;
    }
    return { region: patched, byteStart, invalid };
  }
}

/** How a rejected row describes its bad bytes. */
export const describeInvalidUtf8 = (first: InvalidUtf8, count: number): string =>
  `is not valid UTF-8: byte${first.bytes.includes(' ') ? 's' : ''} ${first.bytes} at byte offset ${first.byteOffset}` +
  (count > 1 ? ` (and ${count - 1} more)` : '') +
  '; save the file as UTF-8';
