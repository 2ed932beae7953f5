import Papa from 'papaparse';
import { UserError } from '../../errors/index.js';
import { uniqueColumnNames } from '../../mapping/index.js';
import { formatBytes, rawPreview, type ReadContext } from './batcher.js';
import { detectDialect, detectHeader, sampleText, type Dialect } from './detect.js';
import type { FileBatch, FileColumn } from './file.schema.js';
import type { PeekedSource } from './source.js';
import { describeInvalidUtf8, Utf8Decoder, type InvalidUtf8 } from './utf8.js';

/**
 * CSV and TSV. PapaParse's core `Parser` splits text into rows (quotes,
 * doubled quotes, quoted line breaks); everything around it is here, because
 * PapaParse's own streaming keeps a BOM, reports quote errors that are not
 * there at chunk edges, and buffers an unclosed quote to the end of the file
 * (README.md, bench/csv-parsers.ts):
 *
 * - bytes → text with Utf8Decoder, which notes where bytes were not UTF-8;
 * - text is parsed up to the last complete row, the rest waits for more
 *   (`#tail`); a row growing past `maxRowBytes` is rejected and skipped to
 *   the next line break, so memory stays bounded;
 * - each row is checked: blank lines skipped, the header named, the field
 *   count compared with the header, bad bytes and bad quotes rejected.
 *
 * Rows are always parsed with `\n` as the line break (or `\r` for old Mac
 * files) and a `\r` ending an unquoted last field is dropped, so CRLF, LF and
 * a mix of both read alike.
 */

/** Past this, a row still incomplete is re-parsed only once as much text again has arrived: linear, not quadratic. */
const RESCAN_AFTER_CHARS = 1024 * 1024;

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
  readonly #decoder: Utf8Decoder;
  readonly #dialect: Dialect;
  readonly #hasHeader: boolean;
  readonly #parser: Papa.Parser;
  readonly #quote: string;
  readonly #delimiter: string;
  readonly #newline: '\n' | '\r';
  readonly #keepQuotedEmpty: boolean;

  #columns: FileColumn[] | null = null;
  #names: string[] = [];
  /** Text after the last complete row. */
  #tail = '';
  #fresh: string[] = [];
  #freshLength = 0;
  /** Offset in the decoded text of `#tail`'s first character (invalid UTF-8 is located by it). */
  #textBase = 0;
  /** After an over-long row: dropping text until the next line break. */
  #skipping = false;
  /** The text being parsed, and where the current row starts in it. */
  #input = '';
  #rowStart = 0;
  /** Any row or header seen: a file of blank lines is empty. */
  sawContent = false;

  constructor(ctx: ReadContext, decoder: Utf8Decoder, dialect: Dialect, hasHeader: boolean) {
    this.#ctx = ctx;
    this.#decoder = decoder;
    this.#dialect = dialect;
    this.#hasHeader = hasHeader;
    this.#quote = dialect.quote;
    this.#delimiter = dialect.delimiter;
    this.#newline = dialect.lineBreak === 'cr' ? '\r' : '\n';
    this.#keepQuotedEmpty = ctx.options.quotedEmpty === 'empty';
    this.#parser = new Papa.Parser({
      delimiter: dialect.delimiter,
      quoteChar: dialect.quote,
      escapeChar: dialect.quote,
      newline: this.#newline,
      step: (results: PapaStep) => this.#step(results),
    });
  }

  /** Takes the next piece of text; `final` at the end of the file. */
  push(text: string, final: boolean): void {
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
    if (
      !final &&
      tailLength > RESCAN_AFTER_CHARS &&
      this.#freshLength < tailLength &&
      tailLength + this.#freshLength < this.#ctx.options.maxRowBytes
    ) {
      return;
    }
    const input = this.#fresh.length === 1 ? this.#tail + this.#fresh[0]! : this.#tail + this.#fresh.join('');
    this.#fresh = [];
    this.#freshLength = 0;
    this.#input = input;
    this.#rowStart = 0;
    this.#parser.parse(input, 0, !final);
    const consumed = final ? input.length : this.#rowStart;
    this.#tail = input.slice(consumed);
    this.#textBase += consumed;
    this.#input = '';
    if (!final) this.#checkTailSize();
  }

  /** A row that has grown past maxRowBytes without ending is rejected now and skipped. */
  #checkTailSize(): void {
    const max = this.#ctx.options.maxRowBytes;
    const tail = this.#tail;
    // A UTF-16 unit is at most 3 bytes of UTF-8: measure only when it might be over.
    if (tail.length * 3 <= max || Buffer.byteLength(tail, 'utf8') <= max) return;
    this.sawContent = true;
    if (this.#columns === null && this.#hasHeader) throw headerTooLong(max);
    this.#ctx.batcher.reject(rawPreview(tail), null, `${tooLong(max)}; the reader skipped to the next line break`);
    this.#textBase += tail.length;
    this.#dropInvalidBefore(this.#textBase);
    this.#tail = '';
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

    const invalid = this.#decoder.invalid.length === 0 ? NONE : this.#invalidIn(start, end);
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
  }

  /** The invalid sequences within [start, end) of the current input; earlier ones are dropped. */
  #invalidIn(start: number, end: number): InvalidUtf8[] {
    const queue = this.#decoder.invalid;
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
    const queue = this.#decoder.invalid;
    while (queue.length > 0 && queue[0]!.charOffset < offset) queue.shift();
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

  const decoder = new Utf8Decoder();
  const rows = new CsvRows(ctx, decoder, dialect, hasHeader);
  for await (const chunk of source.chunks()) {
    summary.bytes += chunk.length;
    rows.push(decoder.decode(chunk), false);
    summary.bom = decoder.bom;
    yield* batcher.take();
  }
  rows.push(decoder.end(), true);
  summary.bom = decoder.bom;
  yield* batcher.finish();

  if (!rows.sawContent) throw new UserError('file_empty', 'The file is empty: it holds only blank lines');
  if (summary.rowsRead === 0) summary.notes.push('The file has a header but no data rows.');
}
