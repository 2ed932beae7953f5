/**
 * COPY text written straight into bytes. Building each row as a JS string
 * and converting chunks to UTF-8 afterwards cost twice the CPU of this, and
 * the loader's CPU shows directly in a load's time whenever PostgreSQL and
 * Sluice share the machine's cores.
 *
 * Buffers are cut only at row ends: `beginRow` marks where the row started,
 * `abortRow` drops what it wrote (a value refused halfway), and `take` hands
 * out the complete rows. A row never has to fit in one chunk: `ensure`
 * moves a growing row to a larger buffer.
 */

const BACKSLASH = 92;
const HEX = '0123456789abcdef';

/** `u` and four lower-case hex digits of `c` (after the backslash), as JSON.stringify writes escapes. */
function hexEscape(buf: Buffer, off: number, c: number): number {
  buf[off++] = 117; // u
  buf[off++] = HEX.charCodeAt((c >> 12) & 15);
  buf[off++] = HEX.charCodeAt((c >> 8) & 15);
  buf[off++] = HEX.charCodeAt((c >> 4) & 15);
  buf[off++] = HEX.charCodeAt(c & 15);
  return off;
}

export class CopyBytes {
  #buf: Buffer;
  #off = 0;
  #rowStart = 0;
  /** Buffers of complete rows set aside when a row outgrew its buffer. */
  #ready: Buffer[] = [];
  #readyBytes = 0;
  readonly #chunkBytes: number;

  constructor(chunkBytes = 128 * 1024) {
    this.#chunkBytes = chunkBytes;
    this.#buf = Buffer.allocUnsafe(chunkBytes * 2);
  }

  /** Bytes of complete rows waiting. */
  get size(): number {
    return this.#readyBytes + this.#rowStart;
  }

  /** Whether a chunk's worth of complete rows is waiting. */
  get full(): boolean {
    return this.size >= this.#chunkBytes;
  }

  beginRow(): void {
    this.#rowStart = this.#off;
  }

  /** Ends the row started last; its bytes become part of the next `take`. */
  endRow(): void {
    this.#rowStart = this.#off;
  }

  abortRow(): void {
    this.#off = this.#rowStart;
  }

  /** The complete rows written so far, as buffers to send in order. */
  take(): Buffer[] {
    const out = this.#ready;
    if (this.#rowStart > 0) out.push(this.#buf.subarray(0, this.#rowStart));
    const partial = this.#off - this.#rowStart;
    const next = Buffer.allocUnsafe(Math.max(this.#chunkBytes * 2, partial));
    this.#buf.copy(next, 0, this.#rowStart, this.#off);
    this.#buf = next;
    this.#off = partial;
    this.#rowStart = 0;
    this.#ready = [];
    this.#readyBytes = 0;
    return out;
  }

  /**
   * The complete rows written so far as one buffer of exactly their size
   * (a copy), the row being written kept: for a writer that hands out one
   * piece at a time and goes on writing (the raw store's segments). Unlike
   * `take`, no new working buffer is allocated, so a writer sized for its
   * pieces allocates one buffer per piece and nothing else.
   */
  takeCopy(): Buffer {
    const complete = this.#readyBytes + this.#rowStart;
    const out = Buffer.allocUnsafe(complete);
    let at = 0;
    for (const part of this.#ready) at += part.copy(out, at);
    this.#buf.copy(out, at, 0, this.#rowStart);
    this.#buf.copyWithin(0, this.#rowStart, this.#off);
    this.#off -= this.#rowStart;
    this.#rowStart = 0;
    this.#ready = [];
    this.#readyBytes = 0;
    return out;
  }

  /** The complete rows, for a writer that is done: `take` without preparing a buffer for more. */
  finish(): Buffer[] {
    const out = this.#ready;
    if (this.#rowStart > 0) out.push(this.#buf.subarray(0, this.#rowStart));
    this.#ready = [];
    this.#readyBytes = 0;
    this.#buf = Buffer.alloc(0);
    this.#off = 0;
    this.#rowStart = 0;
    return out;
  }

  /** Makes room for `n` more bytes, keeping the row being written in one piece. */
  ensure(n: number): void {
    if (this.#off + n <= this.#buf.length) return;
    if (this.#rowStart > 0) {
      this.#ready.push(this.#buf.subarray(0, this.#rowStart));
      this.#readyBytes += this.#rowStart;
    }
    const partial = this.#off - this.#rowStart;
    const next = Buffer.allocUnsafe(Math.max(this.#chunkBytes * 2, partial + n));
    this.#buf.copy(next, 0, this.#rowStart, this.#off);
    this.#buf = next;
    this.#off = partial;
    this.#rowStart = 0;
  }

  byte(b: number): void {
    this.ensure(1);
    this.#buf[this.#off++] = b;
  }

  /** Text known to be ASCII and free of characters COPY escapes (numbers, dates). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.#buf;
    let off = this.#off;
    for (let i = 0; i < n; i++) buf[off++] = s.charCodeAt(i);
    this.#off = off;
  }

  /** Text already in COPY form (escaped, well-formed): UTF-8 as it is. */
  raw(s: string): void {
    this.ensure(s.length * 3);
    this.#off += this.#buf.write(s, this.#off, 'utf8');
  }

  /** Bytes already in COPY form (short ones: a loop beats a native copy there). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    const buf = this.#buf;
    let off = this.#off;
    for (let i = 0; i < n; i++) buf[off++] = b[i]!;
    this.#off = off;
  }

  /** A tab, then `\N` (NULL) when `nul`: the most common field of all in one call. */
  separator(nul: boolean): void {
    this.ensure(3);
    const buf = this.#buf;
    buf[this.#off++] = 9;
    if (nul) {
      buf[this.#off++] = BACKSLASH;
      buf[this.#off++] = 78; // N
    }
  }

  /** A non-negative safe integer in decimal. */
  digits(n: number): void {
    let width = 1;
    for (let p = 10; p <= n; p *= 10) width++;
    this.ensure(width);
    const buf = this.#buf;
    let at = this.#off + width;
    this.#off = at;
    do {
      buf[--at] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  /** A safe integer in decimal. */
  integer(n: number): void {
    if (n < 0) {
      this.byte(45);
      this.digits(-n);
    } else {
      this.digits(n);
    }
  }

  /**
   * Free text, escaped for COPY (`\\`, `\t`, `\n`, `\r`) and written as
   * UTF-8. Returns false, having written part of it, when the text holds a
   * NUL or an unpaired surrogate (neither can be stored); the caller aborts
   * the row or rewinds.
   */
  text(s: string): boolean {
    const n = s.length;
    // At most 3 bytes per UTF-16 unit (an escape takes 2, a surrogate pair 4 for 2 units).
    this.ensure(n * 3);
    const buf = this.#buf;
    let off = this.#off;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c > 13 && c !== BACKSLASH) {
          buf[off++] = c;
        } else if (c === BACKSLASH) {
          buf[off++] = BACKSLASH;
          buf[off++] = BACKSLASH;
        } else if (c === 9) {
          buf[off++] = BACKSLASH;
          buf[off++] = 116; // t
        } else if (c === 10) {
          buf[off++] = BACKSLASH;
          buf[off++] = 110; // n
        } else if (c === 13) {
          buf[off++] = BACKSLASH;
          buf[off++] = 114; // r
        } else if (c === 0) {
          return false;
        } else {
          buf[off++] = c;
        }
      } else if (c < 0x800) {
        buf[off++] = 0xc0 | (c >> 6);
        buf[off++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[off++] = 0xe0 | (c >> 12);
        buf[off++] = 0x80 | ((c >> 6) & 0x3f);
        buf[off++] = 0x80 | (c & 0x3f);
      } else {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) return false;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[off++] = 0xf0 | (cp >> 18);
        buf[off++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[off++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[off++] = 0x80 | (cp & 0x3f);
        i++;
      }
    }
    this.#off = off;
    return true;
  }

  // ------------------------------------------------------------ spans of UTF-8 bytes
  //
  // The fast ingest path (src/ingest/fast) reads its input as bytes (a CSV
  // file, a raw segment's JSON) and writes COPY lines or JSON from them
  // without decoding to a JavaScript string and encoding back: the input is
  // valid UTF-8 already (the CSV reader checks it; PostgreSQL's text is), so
  // every byte from 0x80 up is copied as it is. `undouble` is a CSV quote
  // byte, each pair of which stands for one (-1: none).

  /** `src[from, to)`, bytes already in COPY form (digits, dates, text known to need no escape). */
  span(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.ensure(n);
    const buf = this.#buf;
    if (n > 64) {
      buf.set(src.subarray(from, to), this.#off);
      this.#off += n;
      return;
    }
    let off = this.#off;
    for (let i = from; i < to; i++) buf[off++] = src[i]!;
    this.#off = off;
  }

  /**
   * Free text, escaped for COPY (backslash, tab, LF and CR become two-byte
   * escapes). False, having written part of it, for a NUL, which cannot be
   * stored: the caller aborts the row or rewinds.
   */
  textBytes(src: Uint8Array, from: number, to: number, undouble: number): boolean {
    this.ensure((to - from) * 2);
    const buf = this.#buf;
    let off = this.#off;
    for (let i = from; i < to; i++) {
      const c = src[i]!;
      if (c > 13 && c !== BACKSLASH) {
        buf[off++] = c;
        if (c === undouble) i++;
      } else if (c === BACKSLASH) {
        buf[off++] = BACKSLASH;
        buf[off++] = BACKSLASH;
      } else if (c === 9) {
        buf[off++] = BACKSLASH;
        buf[off++] = 116;
      } else if (c === 10) {
        buf[off++] = BACKSLASH;
        buf[off++] = 110;
      } else if (c === 13) {
        buf[off++] = BACKSLASH;
        buf[off++] = 114;
      } else if (c === 0) {
        return false;
      } else {
        buf[off++] = c;
      }
    }
    this.#off = off;
    return true;
  }

  /**
   * The text as a JSON string, byte for byte as `JSON.stringify` writes it
   * (valid UTF-8 holds no lone surrogate, so only `"`, `\` and control
   * characters are escaped): JSON built outside JSON.stringify, for the raw
   * store. Not escaped for COPY.
   */
  jsonStringBytes(src: Uint8Array, from: number, to: number, undouble: number): void {
    this.ensure((to - from) * 6 + 2);
    const buf = this.#buf;
    let off = this.#off;
    buf[off++] = 34;
    for (let i = from; i < to; i++) {
      const c = src[i]!;
      if (c >= 0x20 && c !== 34 && c !== BACKSLASH) {
        buf[off++] = c;
        if (c === undouble) i++;
      } else if (c === 34 || c === BACKSLASH) {
        buf[off++] = BACKSLASH;
        buf[off++] = c;
        if (c === undouble) i++;
      } else {
        buf[off++] = BACKSLASH;
        const short = c === 8 ? 98 : c === 9 ? 116 : c === 10 ? 110 : c === 12 ? 102 : c === 13 ? 114 : 0; // b t n f r
        if (short !== 0) buf[off++] = short;
        else off = hexEscape(buf, off, c);
      }
    }
    buf[off++] = 34;
    this.#off = off;
  }

  /**
   * The text as a JSON string as `JSON.stringify` writes it, escaped for
   * COPY (`"` becomes `\\"`, a backslash four): a JSON column's value.
   * False, having written part of it, for what this shortcut leaves to the
   * general path: control characters, which JSON.stringify escapes in
   * several ways (NUL among them).
   */
  jsonStringSpanBytes(src: Uint8Array, from: number, to: number, undouble: number): boolean {
    this.ensure((to - from) * 4 + 2);
    const buf = this.#buf;
    let off = this.#off;
    buf[off++] = 34;
    for (let i = from; i < to; i++) {
      const c = src[i]!;
      if (c === 34) {
        buf[off++] = BACKSLASH;
        buf[off++] = BACKSLASH;
        buf[off++] = 34;
        if (c === undouble) i++;
      } else if (c === BACKSLASH) {
        buf[off++] = BACKSLASH;
        buf[off++] = BACKSLASH;
        buf[off++] = BACKSLASH;
        buf[off++] = BACKSLASH;
      } else if (c < 0x20) {
        return false;
      } else {
        buf[off++] = c;
        if (c === undouble) i++;
      }
    }
    buf[off++] = 34;
    this.#off = off;
    return true;
  }

  /**
   * The content of a JSON string token (between its quotes, as
   * JSON.stringify writes it), unescaped, as COPY text: the escapes of a
   * quote, a slash, backspace and form feed become the characters; those of
   * a backslash, LF, CR and tab are already COPY's. False, having written
   * part of it, for a `\u` escape (left to JSON.parse) or a raw control
   * character.
   */
  jsonTokenTextBytes(src: Uint8Array, from: number, to: number): boolean {
    this.ensure(to - from);
    const buf = this.#buf;
    let off = this.#off;
    for (let i = from; i < to; i++) {
      const c = src[i]!;
      if (c === BACKSLASH) {
        const e = src[++i]!;
        if (e === 92 || e === 110 || e === 114 || e === 116) {
          buf[off++] = BACKSLASH; // \\ \n \r \t: the same two characters in COPY text
          buf[off++] = e;
        } else if (e === 34 || e === 47) {
          buf[off++] = e;
        } else if (e === 98) {
          buf[off++] = 8;
        } else if (e === 102) {
          buf[off++] = 12;
        } else {
          return false;
        }
      } else if (c < 0x20) {
        return false;
      } else {
        buf[off++] = c;
      }
    }
    this.#off = off;
    return true;
  }

  /** Where the next byte goes, to rewind to with `rewind` (a value that turned out not to fit). */
  get mark(): number {
    return this.#off - this.#rowStart;
  }

  rewind(mark: number): void {
    this.#off = this.#rowStart + mark;
  }
}
