import Papa from 'papaparse';
import { UserError } from '../../errors/index.js';
import { renamedSystemColumns, uniqueColumnNames } from '../../mapping/index.js';
import { formatBytes, rawPreview, type ReadContext } from './batcher.js';
import { detectDialect, detectHeader, sampleText, type Dialect } from './detect.js';
import type { FileBatch, FileColumn } from './file.schema.js';
import type { PeekedSource } from './source.js';
import { describeInvalidUtf8, Utf8Checker, Utf8Decoder, type InvalidUtf8 } from './utf8.js';

/**
 * CSV and TSV. PapaParse's core `Parser` splits text into rows (quotes,
 * doubled quotes, quoted line breaks); everything around it is here, because
 * PapaParse's own streaming keeps a BOM, reports quote errors that are not
 * there at chunk edges, and buffers an unclosed quote to the end of the file
 * (README.md, bench/csv-parsers.ts):
 *
 * - bytes → text with Utf8Decoder, which notes where bytes were not UTF-8
 *   (with a sink: bytes checked by Utf8Checker, text only where PapaParse reads);
 * - text is parsed up to the last complete row, the rest waits for more
 *   (`#tail`); a row growing past `maxRowBytes` is rejected and skipped to
 *   the next line break, so memory stays bounded;
 * - each row is checked: blank lines skipped, the header named, the field
 *   count compared with the header, bad bytes and bad quotes rejected.
 *
 * Rows are always parsed with `\n` as the line break (or `\r` for old Mac
 * files) and a `\r` ending an unquoted last field is dropped, so CRLF, LF and
 * a mix of both read alike.
 *
 * With a CsvRowSink (the fast ingest path), the file stays bytes: plain rows
 * are read by a scanner of their own and handed to the sink as offsets into
 * the bytes, before any record is made, and never decoded; PapaParse reads
 * every other row, decoded for it (see CsvRows.#scan and #readBytes).
 */

/** Past this, a row still incomplete is re-parsed only once as much again has arrived (characters of text, or bytes): linear, not quadratic. */
const RESCAN_AFTER = 1024 * 1024;

/**
 * Where the fields of one well-formed row are, for a CsvRowSink. The object
 * is reused from row to row: read it during the call, do not keep it.
 */
export interface CsvRowSpans {
  /** The file's bytes the offsets index (valid UTF-8 where the fields are). */
  readonly bytes: Buffer;
  /** Field i's content is `bytes[starts[i], ends[i])`, quotes excluded. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /**
   * Per field: 0 unquoted, 1 quoted, 2 quoted and holding doubled quotes
   * (each `""` stands for one quote). An empty field of kind 0 is null; of
   * kind 1, empty text (a quoted `""` with quotedEmpty 'empty').
   */
  readonly kinds: Uint8Array;
}

/**
 * Takes well-formed rows before they become records (the fast ingest path,
 * src/ingest/fast): a row the sink takes is counted as a record but is not
 * in any batch; a row it declines becomes an ordinary record. Rejected rows,
 * and rows the reader's fast scanner leaves to PapaParse, never reach it.
 */
export interface CsvRowSink {
  /** The columns, once known; false declines every row. */
  begin(columns: readonly FileColumn[], quote: string): boolean;
  /** One row of as many fields as columns; true when taken. */
  row(spans: CsvRowSpans, rowNumber: number): boolean;
}

const LF = 10;
const CR = 13;
/** Rows PapaParse reads after the scanner leaves one, before the scanner tries again. */
const PAPA_ROWS = 32;
/** Bytes decoded for PapaParse at a time when it reads those few rows (more when a row is longer). */
const PAPA_WINDOW = 16 * 1024;
const EMPTY = Buffer.alloc(0);

/** Whether the scanner of plain rows runs for a sink (see CsvRows.#scan); tests turn it off to compare with PapaParse alone. */
export const csvScan = { enabled: true };

const isAsciiByte = (c: string): boolean => c.length === 1 && c.charCodeAt(0) < 0x80;

/** How many bytes an invalid sequence is (its `bytes` are in hex, `e2 82`). */
const invalidLength = (item: InvalidUtf8): number => (item.bytes.length + 1) / 3;

/** Header cells → distinct column names, keeping each header as written for the UI. */
export function columnsFromHeader(header: readonly string[]): FileColumn[] {
  const keys: string[] = [];
  const taken = new Set<string>();
  header.forEach((cell, i) => {
    let key = cell.trim() === '' ? `column_${i + 1}` : cell;
    // A repeated header becomes a distinct key with the same column name
    // (trailing spaces do not count), so uniqueColumnNames suffixes it after
    // every plain name is placed: `Amount`, `Amount`, `amount_2` → amount, amount_3, amount_2.
    while (taken.has(key)) key += ' ';
    taken.add(key);
    keys.push(key);
  });
  const names = uniqueColumnNames(keys);
  return keys.map((key, index) => ({ index, header: header[index]!, name: names.get(key)! }));
}

/** `column_1`, `column_2`, ... for a file without a header. */
export const numberedColumns = (count: number): FileColumn[] =>
  Array.from({ length: count }, (_, index) => ({ index, header: null, name: `column_${index + 1}` }));

/** Which fields of one raw row were quoted (the rare path: only rows with an empty cell and a `""`). */
function quotedFields(line: string, delimiter: string, quote: string): boolean[] {
  const flags: boolean[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === quote) {
      flags.push(true);
      i += 1;
      for (;;) {
        const q = line.indexOf(quote, i);
        if (q === -1) return flags;
        if (line[q + 1] === quote) i = q + 2;
        else {
          i = q + 1;
          break;
        }
      }
      const d = line.indexOf(delimiter, i);
      if (d === -1) return flags;
      i = d + delimiter.length;
    } else {
      flags.push(false);
      const d = line.indexOf(delimiter, i);
      if (d === -1) return flags;
      i = d + delimiter.length;
    }
  }
}

const NONE: readonly InvalidUtf8[] = [];

const headerTooLong = (max: number): UserError =>
  new UserError('file_malformed', `The header row is longer than ${formatBytes(max)} (maxRowBytes): is a quote in it missing its closing quote?`);

const tooLong = (max: number): string => `is longer than ${formatBytes(max)} (maxRowBytes): a quote may be missing its closing quote`;

interface PapaStep {
  data: string[][];
  errors: { code: string; message: string }[];
  meta: { cursor: number };
}

class CsvRows {
  readonly #ctx: ReadContext;
  readonly #dialect: Dialect;
  readonly #hasHeader: boolean;
  readonly #parser: Papa.Parser;
  readonly #papaConfig: { delimiter: string; quoteChar: string; escapeChar: string; newline: '\n' | '\r' };
  /** Rows the scanner read, and times it left a row to PapaParse. */
  #scanned = 0;
  #left = 0;
  readonly #quote: string;
  readonly #delimiter: string;
  readonly #newline: '\n' | '\r';
  readonly #keepQuotedEmpty: boolean;
  /**
   * Text input: the file is decoded chunk by chunk and PapaParse reads it
   * all. Byte input (`#checker`, for the scanner): the file stays bytes,
   * only checked, and only what PapaParse reads is decoded (see #readBytes).
   */
  readonly #decoder: Utf8Decoder | null;
  readonly #checker: Utf8Checker | null;
  /**
   * Invalid UTF-8 sequences not yet passed, in order. With text input, the
   * decoder's, located by `charOffset` in the whole text; with bytes, the
   * checker's, located by `byteOffset`, and by `charOffset` in the text
   * last decoded for PapaParse (Infinity when not in it; see #decode).
   */
  readonly #invalid: InvalidUtf8[];

  #columns: FileColumn[] | null = null;
  #names: string[] = [];
  /** Text input: the text after the last complete row, and text that came after it while waiting (see #pushText). */
  #tail = '';
  #fresh: string[] = [];
  #freshLength = 0;
  /** Offset in the decoded text of `#tail`'s first character (invalid UTF-8 is located by it); 0 with byte input. */
  #textBase = 0;
  /** Byte input: the same as `#tail` and `#fresh`, in bytes... */
  #tailBytes: Buffer = EMPTY;
  #freshBytes: Buffer[] = [];
  #freshByteLength = 0;
  /** ...and the file offset of the first byte held (BOM included, as InvalidUtf8.byteOffset). */
  #byteBase = 0;
  /** The invalid sequences in the text last decoded from bytes: its char offset, then its length in bytes, for each. */
  readonly #decodedInvalid: number[] = [];
  /** After an over-long row: dropping input until the next line break. */
  #skipping = false;
  /** The text being parsed, and where the current row starts in it. */
  #input = '';
  #rowStart = 0;
  /** Any row or header seen: a file of blank lines is empty. */
  sawContent = false;
  /** Rows a sink took (ctx.sink), so far. */
  sunk = 0;
  readonly #sink: CsvRowSink | null;
  #sinkOn = false;
  readonly #spans: { bytes: Buffer; starts: Int32Array; ends: Int32Array; kinds: Uint8Array } = {
    bytes: EMPTY,
    starts: new Int32Array(0),
    ends: new Int32Array(0),
    kinds: new Uint8Array(0),
  };

  constructor(ctx: ReadContext, dialect: Dialect, hasHeader: boolean) {
    this.#ctx = ctx;
    this.#dialect = dialect;
    this.#hasHeader = hasHeader;
    this.#quote = dialect.quote;
    this.#delimiter = dialect.delimiter;
    this.#newline = dialect.lineBreak === 'cr' ? '\r' : '\n';
    this.#keepQuotedEmpty = ctx.options.quotedEmpty === 'empty';
    this.#sink = ctx.sink ?? null;
    // The scanner reads bytes: only for a sink (without one, PapaParse makes
    // records faster than the scanner's spans do), with a delimiter and a
    // quote of one ASCII byte each, and LF line breaks (not CR-only files).
    const scan = csvScan.enabled && this.#sink !== null && this.#newline === '\n' && isAsciiByte(this.#delimiter) && isAsciiByte(this.#quote);
    this.#checker = scan ? new Utf8Checker() : null;
    this.#decoder = scan ? null : new Utf8Decoder();
    this.#invalid = this.#decoder?.invalid ?? [];
    this.#papaConfig = { delimiter: dialect.delimiter, quoteChar: dialect.quote, escapeChar: dialect.quote, newline: this.#newline };
    this.#parser = new Papa.Parser({ ...this.#papaConfig, step: (results: PapaStep) => this.#step(results) });
  }

  /** Whether the file starts with a byte order mark (known once its first bytes are read). */
  get bom(): boolean {
    return (this.#decoder ?? this.#checker!).bom;
  }

  /** Takes the next chunk of the file. */
  push(chunk: Uint8Array): void {
    if (this.#decoder !== null) this.#pushText(this.#decoder.decode(chunk), false);
    else this.#pushBytes(chunk, false);
  }

  /** Reads what is left at the end of the file. */
  end(): void {
    if (this.#decoder !== null) this.#pushText(this.#decoder.end(), true);
    else this.#pushBytes(EMPTY, true);
  }

  /** Text input: takes the next piece of text; PapaParse reads every row. */
  #pushText(text: string, final: boolean): void {
    if (this.#skipping) {
      const nl = text.indexOf(this.#newline);
      if (nl === -1) {
        this.#textBase += text.length;
        this.#dropInvalidBefore(this.#textBase);
        return;
      }
      this.#textBase += nl + 1;
      this.#dropInvalidBefore(this.#textBase);
      text = text.slice(nl + 1);
      this.#skipping = false;
    }
    this.#fresh.push(text);
    this.#freshLength += text.length;
    const tailLength = this.#tail.length;
    if (!final && tailLength > RESCAN_AFTER && this.#freshLength < tailLength && tailLength + this.#freshLength < this.#ctx.options.maxRowBytes) {
      return;
    }
    const input = this.#fresh.length === 1 ? this.#tail + this.#fresh[0]! : this.#tail + this.#fresh.join('');
    this.#fresh = [];
    this.#freshLength = 0;
    this.#parse(input, final, Infinity);
    // PapaParse went to the end: the rest is the next push's (or, at the end, read whole).
    const consumed = final ? input.length : this.#rowStart;
    this.#input = '';
    this.#tail = consumed === 0 ? input : input.slice(consumed);
    this.#textBase += consumed;
    if (!final) this.#checkTailSize();
  }

  /** Byte input: takes the next chunk; the scanner reads the plain rows, PapaParse the others. */
  #pushBytes(chunk: Uint8Array, final: boolean): void {
    // The checker holds back an incomplete character at a chunk's end, as the
    // decoder does: the region ends on a character boundary.
    const checked = this.#checker!.check(chunk, final);
    let region = checked.region;
    for (const item of checked.invalid) {
      item.charOffset = Infinity; // not decoded yet
      this.#invalid.push(item);
    }
    // Nothing held: the region's first byte is the next one held.
    if (this.#tailBytes.length === 0 && this.#freshBytes.length === 0) this.#byteBase = checked.byteStart;
    if (this.#skipping) {
      const nl = region.indexOf(LF);
      if (nl === -1) {
        this.#byteBase += region.length;
        this.#dropInvalidBytesBefore(this.#byteBase);
        return;
      }
      this.#byteBase += nl + 1;
      this.#dropInvalidBytesBefore(this.#byteBase);
      region = region.subarray(nl + 1);
      this.#skipping = false;
    }
    this.#freshBytes.push(region);
    this.#freshByteLength += region.length;
    const tailLength = this.#tailBytes.length;
    if (!final && tailLength > RESCAN_AFTER && this.#freshByteLength < tailLength && tailLength + this.#freshByteLength < this.#ctx.options.maxRowBytes) {
      // Held past this call: a copy, as the chunk is its source's.
      this.#freshBytes[this.#freshBytes.length - 1] = Buffer.from(region);
      return;
    }
    const fresh = this.#freshBytes;
    const input = tailLength === 0 && fresh.length === 1 ? fresh[0]! : Buffer.concat([this.#tailBytes, ...fresh]);
    this.#freshBytes = [];
    this.#freshByteLength = 0;
    const consumed = this.#readBytes(input, final);
    // The rest (part of a row, usually small) is copied so as not to hold on to the whole chunk.
    this.#tailBytes = consumed >= input.length ? EMPTY : Buffer.from(input.subarray(consumed));
    this.#byteBase += consumed;
    if (!final) this.#checkTailBytes();
  }

  /**
   * Reads the rows of `input` (the bytes held, from `#byteBase`) and returns
   * where the rest starts (the start of a row not complete yet; at the end,
   * the end). Plain rows go to the scanner, the others to PapaParse: a few
   * rows at a time while the scanner may read on after them, else the rest.
   * PapaParse reads text, so what it reads is decoded, a window of a few
   * rows at a time (widened while a row does not fit), and its position in
   * the text is turned back into one in the bytes.
   */
  #readBytes(input: Buffer, final: boolean): number {
    const n = input.length;
    let consumed = 0;
    for (;;) {
      consumed = this.#scan(input, consumed);
      if (consumed >= n) return consumed;
      // Before the columns are known only the next row (the header, or the first row), then the scanner may start.
      const limit = !this.#scanning() ? Infinity : this.#columns === null ? 1 : PAPA_ROWS;
      let rows = 0;
      let window = PAPA_WINDOW;
      for (;;) {
        const wanted = limit - rows;
        // A window ends after a line break (so on a character boundary, never inside an invalid sequence).
        const nl = limit === Infinity || consumed + window >= n ? -1 : input.indexOf(LF, consumed + window);
        const to = nl === -1 ? n : nl + 1;
        const text = this.#decode(input, consumed, to);
        const read = this.#parse(text, final && to === n, wanted);
        const used = this.#bytesBefore(text, this.#rowStart, to - consumed);
        this.#input = '';
        // PapaParse went to the end: the rest is the next push's (or, at the end, read whole).
        if (read < wanted && to === n) return final ? n : consumed + used;
        consumed += used;
        if (read === wanted) break;
        rows += read;
        // Not one row in the window: one longer than it.
        if (read === 0) window *= 2;
      }
    }
  }

  /**
   * The text of `input[from, to)`, as the Utf8Decoder would have decoded
   * it: each invalid sequence (which the checker replaced by `?` bytes) is
   * one U+FFFD. Each pending invalid sequence gets its `charOffset` in this
   * text (Infinity when after it), for #invalidIn and #dropInvalidBefore
   * while PapaParse reads the text (`#textBase` stays 0 with byte input).
   */
  #decode(input: Buffer, from: number, to: number): string {
    const queue = this.#invalid;
    const decoded = this.#decodedInvalid;
    decoded.length = 0;
    if (queue.length === 0) return input.toString('utf8', from, to);
    let text = '';
    let at = from;
    for (const item of queue) {
      const b = item.byteOffset - this.#byteBase;
      if (b >= to) {
        item.charOffset = Infinity;
        continue;
      }
      const length = invalidLength(item);
      text += input.toString('utf8', at, b);
      item.charOffset = text.length;
      decoded.push(text.length, length);
      text += '\uFFFD';
      at = b + length;
    }
    return text + input.toString('utf8', at, to);
  }

  /** How many of the `length` bytes #decode turned into `text` its first `chars` characters came from. */
  #bytesBefore(text: string, chars: number, length: number): number {
    if (chars === 0) return 0;
    if (chars === text.length) return length;
    // U+FFFD is 3 bytes of UTF-8, the invalid sequence it stands for 1 to 3.
    const decoded = this.#decodedInvalid;
    // Measured on the shorter side: a few rows read, or the part of a row left.
    if (chars * 2 <= text.length) {
      let bytes = Buffer.byteLength(text.slice(0, chars), 'utf8');
      for (let k = 0; k < decoded.length && decoded[k]! < chars; k += 2) bytes += decoded[k + 1]! - 3;
      return bytes;
    }
    let bytes = length - Buffer.byteLength(text.slice(chars), 'utf8');
    for (let k = 0; k < decoded.length; k += 2) if (decoded[k]! >= chars) bytes -= decoded[k + 1]! - 3;
    return bytes;
  }

  /**
   * Reads the rows at the start of `input[from...]` that are plainly well
   * formed, and returns where it stopped (always a row's start). A row is
   * plain when it ends with LF or CRLF and each of its fields is either
   * unquoted, holding no quote or CR, or quoted, closed by a quote right
   * before the delimiter or the line break, with quotes inside doubled; and
   * it has exactly as many fields as there are columns (two or more), and
   * could not be too long. PapaParse reads such a row into the same fields,
   * and the checks of #step all pass, so the record is the same; anything
   * else is left to PapaParse, from the row's start on. So are bytes that
   * are not UTF-8: the scanner stops before the first, and PapaParse rejects
   * its row.
   *
   * The scanner works on the bytes: delimiter, quote, CR and LF are single
   * ASCII bytes, which never occur inside a multi-byte character, so the
   * fields' offsets are character boundaries.
   */
  #scan(input: Buffer, from: number): number {
    if (!this.#scanning() || this.#columns === null) return from;
    const queue = this.#invalid;
    const n = queue.length === 0 ? input.length : Math.min(input.length, queue[0]!.byteOffset - this.#byteBase);
    const count = this.#names.length;
    const spans = this.#spans;
    if (spans.starts.length !== count) {
      spans.starts = new Int32Array(count);
      spans.ends = new Int32Array(count);
      spans.kinds = new Uint8Array(count);
    }
    spans.bytes = input;
    const { starts, ends, kinds } = spans;
    const delimiter = this.#delimiter.charCodeAt(0);
    const quote = this.#quote.charCodeAt(0);
    const maxBytes = this.#ctx.options.maxRowBytes;
    const next = (b: number, at: number): number => {
      const k = input.indexOf(b, at);
      return k === -1 || k > n ? n : k;
    };
    // Where the next delimiter, LF, quote and CR are (n: nowhere), found by
    // indexOf and kept until passed; -1 until first needed.
    let nd = -1;
    let nl = -1;
    let nq = -1;
    let nc = -1;
    let incomplete = false;
    let pos = from;
    rows: while (pos < n) {
      let i = pos;
      for (let f = 0; ; f++) {
        if (f === count) break rows; // more fields than columns
        if (nq < i) nq = next(quote, i);
        if (nq === i) {
          const start = i + 1;
          let doubled = false;
          let q = next(quote, start);
          while (q + 1 < n && input[q + 1] === quote) {
            doubled = true;
            q = next(quote, q + 2);
          }
          if (q >= n - 1) {
            incomplete = true; // not closed yet, or what follows the quote not read yet
            break rows;
          }
          nq = -1;
          starts[f] = start;
          ends[f] = q;
          // `""` is null unless quotedEmpty keeps it: then it reads as an unquoted empty field.
          kinds[f] = doubled ? 2 : q === start && !this.#keepQuotedEmpty ? 0 : 1;
          const after = input[q + 1]!;
          if (after === delimiter) {
            i = q + 2;
            continue;
          }
          if (after === LF) i = q + 2;
          else if (after === CR && q + 2 < n && input[q + 2] === LF) i = q + 3;
          else {
            incomplete = after === CR && q + 2 >= n;
            break rows;
          }
        } else {
          if (nd < i) nd = next(delimiter, i);
          if (nl < i) nl = next(LF, i);
          const end = nd < nl ? nd : nl;
          if (end >= n) {
            incomplete = true;
            break rows;
          }
          if (nq < end) break rows; // a quote inside an unquoted field
          if (nc < i) nc = next(CR, i);
          starts[f] = i;
          kinds[f] = 0;
          if (end === nd) {
            if (nc < end) break rows; // a CR inside the field
            ends[f] = end;
            i = end + 1;
            continue;
          }
          // A CR is dropped only where it ends the line (the CRLF of the row).
          if (nc < end - 1) break rows;
          ends[f] = nc === end - 1 ? end - 1 : end;
          i = end + 1;
        }
        // The row ended after field f.
        if (f !== count - 1 || i - pos > maxBytes) break rows;
        break;
      }
      this.#take(spans);
      this.#scanned += 1;
      pos = i;
    }
    spans.bytes = EMPTY;
    // Stopped at a row the scanner leaves to PapaParse (an incomplete one waits for more input).
    if (pos < n && !incomplete) this.#left += 1;
    return pos;
  }

  /**
   * Whether the scanner reads on: only with byte input (see the
   * constructor), not for a sink that declined the columns or a single
   * column, and not once it leaves too many rows to PapaParse (a file of
   * odd rows is read by PapaParse alone, never row by row).
   */
  #scanning(): boolean {
    return (
      this.#checker !== null &&
      (this.#columns === null || this.#sinkOn) &&
      this.#names.length !== 1 &&
      (this.#left < 64 || this.#left * PAPA_ROWS < this.#scanned)
    );
  }

  /**
   * PapaParse on `text` (starting at a row's start), stopping after `limit`
   * rows; returns the rows it read (fewer than `limit`: it reached the end)
   * and leaves `#rowStart` where it stopped.
   */
  #parse(text: string, final: boolean, limit: number): number {
    this.#input = text;
    this.#rowStart = 0;
    if (limit === Infinity) {
      this.#parser.parse(text, 0, !final);
      return 0;
    }
    let rows = 0;
    // A parser stopped by abort() stays stopped: a fresh one per call.
    const parser: Papa.Parser = new Papa.Parser({
      ...this.#papaConfig,
      step: (results: PapaStep) => {
        this.#step(results);
        rows += 1;
        if (rows >= limit) parser.abort();
      },
    });
    parser.parse(text, 0, !final);
    return rows;
  }

  /** A plain row found by #scan: to the sink, or a record. */
  #take(spans: CsvRowSpans): void {
    this.sawContent = true;
    const batcher = this.#ctx.batcher;
    if (this.#sinkOn && this.#sink!.row(spans, batcher.nextRowNumber)) {
      batcher.counted();
      this.sunk += 1;
      return;
    }
    const { bytes, starts, ends, kinds } = spans;
    const names = this.#names;
    const data: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i += 1) {
      const from = starts[i]!;
      const to = ends[i]!;
      const kind = kinds[i]!;
      if (from === to) data[names[i]!] = kind === 0 ? null : '';
      else if (kind === 2) data[names[i]!] = bytes.toString('utf8', from, to).replaceAll(this.#quote + this.#quote, this.#quote);
      else data[names[i]!] = bytes.toString('utf8', from, to);
    }
    batcher.record(data);
  }

  /** Text input: a row that has grown past maxRowBytes without ending is rejected now and skipped. */
  #checkTailSize(): void {
    const max = this.#ctx.options.maxRowBytes;
    const tail = this.#tail;
    // A UTF-16 unit is at most 3 bytes of UTF-8: measure only when it might be over.
    if (tail.length * 3 <= max || Buffer.byteLength(tail, 'utf8') <= max) return;
    this.#rejectTail(tail);
    this.#textBase += tail.length;
    this.#dropInvalidBefore(this.#textBase);
    this.#tail = '';
  }

  /** Byte input: the same. */
  #checkTailBytes(): void {
    const max = this.#ctx.options.maxRowBytes;
    const tail = this.#tailBytes;
    if (tail.length * 3 <= max) return;
    // Measured as the text is (above): each invalid sequence as the 3 bytes of its U+FFFD.
    let size = tail.length;
    for (const item of this.#invalid) size += 3 - invalidLength(item);
    if (size <= max) return;
    this.#rejectTail(this.#decode(tail, 0, tail.length));
    this.#byteBase += tail.length;
    this.#dropInvalidBytesBefore(this.#byteBase);
    this.#tailBytes = EMPTY;
  }

  #rejectTail(tail: string): void {
    const max = this.#ctx.options.maxRowBytes;
    this.sawContent = true;
    if (this.#columns === null && this.#hasHeader) throw headerTooLong(max);
    this.#ctx.batcher.reject(rawPreview(tail), null, `${tooLong(max)}; the reader skipped to the next line break`);
    this.#skipping = true;
  }

  #step(results: PapaStep): void {
    const input = this.#input;
    const start = this.#rowStart;
    const end = results.meta.cursor;
    this.#rowStart = end;
    const fields = results.data[0]!;

    // Where the line break starts: the row's own text is input[start, eol).
    let eol = end;
    if (input.charCodeAt(eol - 1) === 10) eol -= 1;
    if (input.charCodeAt(eol - 1) === 13) eol -= 1;
    const last = fields.length - 1;
    const lastValue = fields[last]!;
    if (lastValue.charCodeAt(lastValue.length - 1) === 13 && input.charCodeAt(eol) === 13 && input.charCodeAt(eol - 1) !== this.#quote.charCodeAt(0)) {
      fields[last] = lastValue.slice(0, -1);
    }

    if (fields.length === 1 && fields[0]!.trim() === '') {
      // A blank line, unless it is a quoted empty value.
      const q = input.indexOf(this.#quote, start);
      if (q === -1 || q >= eol) {
        this.#ctx.summary.blankLines += 1;
        this.#dropInvalidBefore(this.#textBase + end);
        return;
      }
    }
    this.sawContent = true;

    // Rows that ended within the chunk that took them past the limit are held to it too.
    const max = this.#ctx.options.maxRowBytes;
    if ((eol - start) * 3 > max && Buffer.byteLength(input.slice(start, eol), 'utf8') > max) {
      if (this.#columns === null && this.#hasHeader) throw headerTooLong(max);
      this.#dropInvalidBefore(this.#textBase + end);
      this.#ctx.batcher.reject(rawPreview(input.slice(start, eol)), null, tooLong(max));
      return;
    }

    const invalid = this.#invalid.length === 0 ? NONE : this.#invalidIn(start, end);
    if (this.#columns === null && this.#hasHeader) {
      if (results.errors.length > 0) {
        // The header's quote runs on through the rows: nothing after it can be told apart.
        throw new UserError(
          'file_malformed',
          `The header row has a quoted field that is not closed properly, so it runs on through the file: ${JSON.stringify(rawPreview(input.slice(start, Math.min(eol, start + 80))))}`,
        );
      }
      this.#ensureColumns(fields);
      if (invalid.length > 0) this.#ctx.summary.notes.push(`The header ${describeInvalidUtf8(invalid[0]!, invalid.length)}.`);
      return;
    }
    this.#ensureColumns(fields);
    const batcher = this.#ctx.batcher;

    if (invalid.length > 0) {
      this.#ctx.summary.invalidUtf8Rows += 1;
      batcher.reject(input.slice(start, eol), null, `row ${describeInvalidUtf8(invalid[0]!, invalid.length)}`);
      return;
    }
    if (results.errors.length > 0) {
      const missing = results.errors.some((e) => e.code === 'MissingQuotes');
      const stray = results.errors.some((e) => e.code !== 'MissingQuotes');
      const q = this.#quote;
      const reason = !missing
        ? `has a quoted field whose closing quote is followed by text (write a quote inside quotes as ${q}${q})`
        : stray
          ? `has a quoted field whose closing quote is followed by text, so the field runs on to the end of the file (write a quote inside quotes as ${q}${q})`
          : 'has a quoted field that is never closed: the file ends inside it';
      batcher.reject(input.slice(start, eol), null, reason);
      return;
    }
    const names = this.#names;
    if (fields.length !== names.length) {
      const expected = this.#hasHeader ? `the header has ${names.length}` : `the first rows have ${names.length}`;
      batcher.reject(input.slice(start, eol), null, `has ${fields.length} field${fields.length === 1 ? '' : 's'}, ${expected}`);
      return;
    }
    let quoted: boolean[] | null = null;
    const data: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i += 1) {
      const value = fields[i]!;
      if (value === '') {
        if (this.#keepQuotedEmpty) {
          quoted ??= input.slice(start, eol).includes(this.#quote + this.#quote)
            ? quotedFields(input.slice(start, eol), this.#delimiter, this.#quote)
            : [];
          data[names[i]!] = quoted[i] === true ? '' : null;
        } else {
          data[names[i]!] = null;
        }
      } else {
        data[names[i]!] = value;
      }
    }
    batcher.record(data);
  }

  /** Fixes the columns at the first row: named by the header, or numbered as many as the sample's rows mostly have. */
  #ensureColumns(first: string[]): void {
    if (this.#columns !== null) return;
    this.#columns = this.#hasHeader
      ? columnsFromHeader(first)
      : numberedColumns(this.#dialect.rows.length > 0 ? this.#dialect.fieldCount : first.length);
    this.#names = this.#columns.map((c) => c.name);
    this.#ctx.summary.columns = this.#columns;
    this.#ctx.summary.notes.push(...renamedSystemColumns(this.#columns.flatMap((c) => (c.header === null ? [] : [{ key: c.header, column: c.name }]))));
    this.#sinkOn = this.#sink !== null && this.#sink.begin(this.#columns, this.#quote);
  }

  /** The invalid sequences within [start, end) of the current input; earlier ones are dropped. */
  #invalidIn(start: number, end: number): InvalidUtf8[] {
    const queue = this.#invalid;
    const from = this.#textBase + start;
    const to = this.#textBase + end;
    const found: InvalidUtf8[] = [];
    while (queue.length > 0 && queue[0]!.charOffset < to) {
      const item = queue.shift()!;
      if (item.charOffset >= from) found.push(item);
    }
    return found;
  }

  #dropInvalidBefore(offset: number): void {
    const queue = this.#invalid;
    while (queue.length > 0 && queue[0]!.charOffset < offset) queue.shift();
  }

  /** Byte input: drops the invalid sequences before file offset `offset` (bytes passed without being read). */
  #dropInvalidBytesBefore(offset: number): void {
    const queue = this.#invalid;
    while (queue.length > 0 && queue[0]!.byteOffset < offset) queue.shift();
  }
}

/** Reads CSV or TSV text in batches (see the top of this file). */
export async function* readCsv(source: PeekedSource, ctx: ReadContext): AsyncGenerator<FileBatch> {
  const { options, summary, batcher } = ctx;
  const delimiter = options.delimiter ?? (summary.format === 'tsv' ? '\t' : undefined);
  const dialect = detectDialect(sampleText(source.sample), source.complete, { delimiter, quote: options.quote });
  const hasHeader = options.hasHeader ?? detectHeader(dialect.rows);
  summary.delimiter = dialect.delimiter;
  summary.quote = dialect.quote;
  summary.lineBreak = dialect.lineBreak;
  summary.hasHeader = hasHeader;

  const rows = new CsvRows(ctx, dialect, hasHeader);
  // With a sink, the consumer must drain what it took every chunk (memory): an empty batch says when.
  let sunk = 0;
  for await (const chunk of source.chunks()) {
    summary.bytes += chunk.length;
    rows.push(chunk);
    summary.bom = rows.bom;
    const ready = batcher.take();
    if (ready.length === 0 && rows.sunk !== sunk) ready.push({ records: [], rejected: [] });
    sunk = rows.sunk;
    yield* ready;
  }
  rows.end();
  summary.bom = rows.bom;
  const ready = batcher.finish();
  if (ready.length === 0 && rows.sunk !== sunk) ready.push({ records: [], rejected: [] });
  yield* ready;

  if (!rows.sawContent) throw new UserError('file_empty', 'The file is empty: it holds only blank lines');
  if (summary.rowsRead === 0) summary.notes.push('The file has a header but no data rows.');
}
