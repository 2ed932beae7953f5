import { Tokenizer, TokenType } from '@streamparser/json';
import { UserError } from '../../errors/index.js';
import { describeJsonKind, formatBytes, isJsonObject, type ReadContext } from './batcher.js';
import type { FileBatch } from './file.schema.js';
import type { PeekedSource } from './source.js';
import { describeInvalidUtf8, Utf8Checker, type InvalidUtf8 } from './utf8.js';

/**
 * A JSON document holding records: a top-level array (`[{…}, {…}]`), or an
 * object holding exactly one array (`{"data": [{…}], "total": 2}`), whose
 * path the summary reports as `recordsPath`. Streamed: @streamparser/json's
 * tokenizer turns bytes into tokens and the small state machine below
 * checks the grammar and builds one element at a time, so memory holds one
 * record, whatever the file size.
 *
 * An element that is not an object, holds bytes that are not UTF-8, or is
 * larger than `maxRowBytes` is a rejected row. A syntax error ends the read
 * with `file_malformed` naming the byte offset and line; the rows before it
 * have been handed out already.
 */

// Grammar states: what the innermost container expects next.
const enum Expect {
  /** After `[`: a value or `]`. */
  FirstElement,
  /** After `,` in an array: a value. */
  Element,
  /** After `{`: a key or `}`. */
  FirstKey,
  /** After `,` in an object: a key. */
  Key,
  /** After a key: `:`. */
  Colon,
  /** After `:`: a value. */
  Value,
  /** After a value: `,` or the closing bracket. */
  Next,
}

interface Frame {
  array: boolean;
  expect: Expect;
  /** The container being built, or null when it is not kept (outside records, or a record too large). */
  value: unknown[] | Record<string, unknown> | null;
  key: string;
}

/** A record complete but not yet checked: its bytes end at the next token. */
interface Pending {
  value: unknown;
  start: number;
  oversize: boolean;
}

const TOKEN_TEXT: Partial<Record<TokenType, string>> = {
  [TokenType.LEFT_BRACE]: '{',
  [TokenType.RIGHT_BRACE]: '}',
  [TokenType.LEFT_BRACKET]: '[',
  [TokenType.RIGHT_BRACKET]: ']',
  [TokenType.COLON]: ':',
  [TokenType.COMMA]: ',',
};

const describeToken = (token: TokenType, value: unknown): string => {
  const text = TOKEN_TEXT[token];
  if (text !== undefined) return `"${text}"`;
  if (token === TokenType.STRING) return `the string ${JSON.stringify(String(value).slice(0, 40))}`;
  return JSON.stringify(value);
};

const pathTo = (key: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `$.${key}` : `$[${JSON.stringify(key)}]`);

/** Assigns like JSON.parse: a `__proto__` key is an own property, not the prototype. */
function assign(target: unknown[] | Record<string, unknown>, key: string, value: unknown): void {
  if (Array.isArray(target)) target.push(value);
  else if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

class JsonRecords {
  readonly #ctx: ReadContext;
  readonly #stack: Frame[] = [];
  /** Index in #stack of the array holding the records; -1 until it is found. */
  #recordsAt = -1;
  /** Whether that array is open: values directly in it are records. */
  #recordsOpen = false;
  #topLevelDone = false;
  #topLevelKind: 'array' | 'object' | null = null;
  #pending: Pending | null = null;
  /** Start of the record being read and whether it outgrew maxRowBytes. */
  #recordStart = -1;
  #recordOversize = false;
  /** Invalid UTF-8 not yet matched to a record, in file offsets. */
  readonly invalid: InvalidUtf8[] = [];
  /** Added to tokenizer offsets to get file offsets (the BOM). */
  offsetShift = 0;
  readonly #topKeys: string[] = [];
  sawToken = false;

  constructor(ctx: ReadContext) {
    this.#ctx = ctx;
  }

  token(token: TokenType, value: unknown, tokenOffset: number): void {
    const offset = tokenOffset + this.offsetShift;
    this.sawToken = true;
    if (this.#topLevelDone) throw new SyntaxProblem(`unexpected ${describeToken(token, value)} after the end of the JSON document`, offset);
    const frame = this.#stack.at(-1);
    // Records are checked at the token after them, where their bytes end.
    if (this.#pending !== null && this.#stack.length - 1 === this.#recordsAt) this.#settle(offset);

    if (frame === undefined) return this.#value(token, value, offset);
    switch (frame.expect) {
      case Expect.FirstElement:
        if (token === TokenType.RIGHT_BRACKET) return this.#close(offset);
        return this.#value(token, value, offset);
      case Expect.Element:
      case Expect.Value:
        return this.#value(token, value, offset);
      case Expect.FirstKey:
      case Expect.Key:
        if (token === TokenType.RIGHT_BRACE && frame.expect === Expect.FirstKey) return this.#close(offset);
        if (token !== TokenType.STRING) throw this.#unexpected(token, value, offset, 'a key in double quotes');
        frame.key = value as string;
        frame.expect = Expect.Colon;
        if (this.#stack.length === 1 && this.#topKeys.length < 20) this.#topKeys.push(frame.key);
        return;
      case Expect.Colon:
        if (token !== TokenType.COLON) throw this.#unexpected(token, value, offset, '":"');
        frame.expect = Expect.Value;
        return;
      case Expect.Next:
        if (token === TokenType.COMMA) {
          frame.expect = frame.array ? Expect.Element : Expect.Key;
          return;
        }
        if (token === (frame.array ? TokenType.RIGHT_BRACKET : TokenType.RIGHT_BRACE)) return this.#close(offset);
        throw this.#unexpected(token, value, offset, frame.array ? '"," or "]"' : '"," or "}"');
    }
  }

  /** At the end of the input: whatever is still open means the file was cut. */
  end(endOffset: number): void {
    if (this.#pending !== null) this.#settle(endOffset);
    if (!this.sawToken) return;
    if (this.#stack.length > 0) {
      throw new SyntaxProblem(
        `the JSON ends before its ${this.#stack.at(-1)!.array ? 'array' : 'object'} is closed (is the file complete?)`,
        endOffset,
      );
    }
    if (this.#topLevelKind === 'object' && this.#recordsAt === -1) {
      throw new UserError(
        'file_malformed',
        `The JSON object holds no array of records (its keys: ${this.#topKeys.join(', ') || 'none'}); a JSON file must hold an array of objects, or an object holding one array of them`,
      );
    }
  }

  #unexpected(token: TokenType, value: unknown, offset: number, expected: string): SyntaxProblem {
    return new SyntaxProblem(`expected ${expected}, found ${describeToken(token, value)}`, offset);
  }

  /** A value starts (or is: scalars) in the innermost frame. */
  #value(token: TokenType, value: unknown, offset: number): void {
    const depth = this.#stack.length;
    const parent = this.#stack.at(-1);
    if (token === TokenType.COMMA || token === TokenType.COLON || token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) {
      throw this.#unexpected(token, value, offset, 'a value');
    }
    const opens = token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET;

    if (depth === 0) {
      if (!opens) {
        throw new UserError(
          'file_malformed',
          `The JSON holds a single ${typeof value === 'boolean' ? 'boolean' : describeJsonKind(value).replace(/^an? /, '')} instead of records; a JSON file must hold an array of objects`,
        );
      }
      this.#topLevelKind = token === TokenType.LEFT_BRACKET ? 'array' : 'object';
      if (this.#topLevelKind === 'array') {
        this.#recordsAt = 0;
        this.#recordsOpen = true;
        this.#ctx.summary.recordsPath = '$';
      }
      this.#stack.push({ array: token === TokenType.LEFT_BRACKET, expect: token === TokenType.LEFT_BRACKET ? Expect.FirstElement : Expect.FirstKey, value: null, key: '' });
      return;
    }

    // The one array of a top-level object holds the records.
    if (depth === 1 && this.#topLevelKind === 'object' && token === TokenType.LEFT_BRACKET) {
      if (this.#recordsAt !== -1) {
        const first = this.#ctx.summary.recordsPath;
        throw new UserError(
          'file_malformed',
          `The JSON object holds more than one array (${first} and ${pathTo(parent!.key)}); keep only the array of records, or send it as the whole file`,
        );
      }
      this.#recordsAt = 1;
      this.#recordsOpen = true;
      this.#ctx.summary.recordsPath = pathTo(parent!.key);
      parent!.expect = Expect.Next;
      this.#stack.push({ array: true, expect: Expect.FirstElement, value: null, key: '' });
      return;
    }

    const inRecords = this.#recordsOpen && depth - 1 >= this.#recordsAt;
    const atRecords = inRecords && depth - 1 === this.#recordsAt;
    if (atRecords) {
      this.#recordStart = offset;
      this.#recordOversize = false;
    } else if (inRecords && !this.#recordOversize && offset - this.#recordStart > this.#ctx.options.maxRowBytes) {
      this.#dropRecordBody();
    }
    const building = inRecords && !this.#recordOversize;

    parent!.expect = Expect.Next;
    if (opens) {
      const isArray = token === TokenType.LEFT_BRACKET;
      this.#stack.push({
        array: isArray,
        expect: isArray ? Expect.FirstElement : Expect.FirstKey,
        value: building ? (isArray ? [] : {}) : null,
        key: '',
      });
      return;
    }
    if (atRecords) this.#pending = { value, start: offset, oversize: false };
    else if (building && parent!.value !== null) assign(parent!.value, parent!.key, value);
  }

  /** The innermost container ends. */
  #close(offset: number): void {
    const frame = this.#stack.pop()!;
    const depth = this.#stack.length;
    if (depth === 0) {
      this.#topLevelDone = true;
      if (frame.array && this.#recordsAt === 0 && this.#ctx.summary.rowsRead === 0) this.#ctx.summary.notes.push('The JSON array is empty.');
      return;
    }
    if (this.#recordsOpen && depth === this.#recordsAt) {
      // The records array itself closed (top-level object case): back to the object's keys.
      this.#recordsOpen = false;
      if (this.#ctx.summary.rowsRead === 0) this.#ctx.summary.notes.push(`The array at ${this.#ctx.summary.recordsPath} is empty.`);
      return;
    }
    if (this.#recordsOpen && depth - 1 === this.#recordsAt) {
      this.#pending = { value: frame.value, start: this.#recordStart, oversize: this.#recordOversize };
      return;
    }
    const parent = this.#stack.at(-1)!;
    if (frame.value !== null && parent.value !== null) assign(parent.value, parent.key, frame.value);
    if (this.#recordsOpen && depth > this.#recordsAt && !this.#recordOversize && offset - this.#recordStart > this.#ctx.options.maxRowBytes) {
      this.#dropRecordBody();
    }
  }

  /** The record outgrew maxRowBytes: stop building it, keep checking its grammar. */
  #dropRecordBody(): void {
    this.#recordOversize = true;
    for (let i = this.#recordsAt + 1; i < this.#stack.length; i += 1) this.#stack[i]!.value = null;
  }

  /** Decides the pending record now that its bytes end at `end`. */
  #settle(end: number): void {
    const { value, start, oversize } = this.#pending!;
    this.#pending = null;
    const batcher = this.#ctx.batcher;
    const bad: InvalidUtf8[] = [];
    while (this.invalid.length > 0 && this.invalid[0]!.byteOffset < end) {
      const item = this.invalid.shift()!;
      if (item.byteOffset >= start) bad.push(item);
    }
    if (oversize || end - start > this.#ctx.options.maxRowBytes) {
      batcher.reject(null, null, `is larger than ${formatBytes(this.#ctx.options.maxRowBytes)} (maxRowBytes); it was skipped`);
    } else if (bad.length > 0) {
      this.#ctx.summary.invalidUtf8Rows += 1;
      batcher.reject(value, null, `element ${describeInvalidUtf8(bad[0]!, bad.length)}`);
    } else if (!isJsonObject(value)) {
      batcher.reject(value, null, `element is ${describeJsonKind(value)}, not an object`);
    } else {
      batcher.record(value);
    }
  }
}

/** Counts line breaks before `offset` in the regions seen, for messages. */
class LineCounter {
  #lines = 0;
  #region: Buffer = Buffer.alloc(0);
  #regionStart = 0;

  add(region: Buffer, start: number): void {
    this.#lines += this.#count(this.#region, this.#region.length);
    this.#region = region;
    this.#regionStart = start;
  }

  /** The 1-based line of a file offset, when it is in the current region or after it. */
  lineOf(offset: number): number | null {
    const within = offset - this.#regionStart;
    if (within < 0) return null;
    return this.#lines + this.#count(this.#region, Math.min(within, this.#region.length)) + 1;
  }

  #count(buf: Buffer, end: number): number {
    let n = 0;
    for (let i = buf.indexOf(10); i !== -1 && i < end; i = buf.indexOf(10, i + 1)) n += 1;
    return n;
  }
}

const malformed = (problem: string, offset: number, lines: LineCounter, cause?: unknown): UserError => {
  const line = lines.lineOf(offset);
  return new UserError('file_malformed', `The JSON is not valid at byte ${offset}${line === null ? '' : ` (line ${line})`}: ${problem}`, {
    cause,
    details: { offset, line },
  });
};

/** Reads a JSON document's records in batches. */
export async function* readJson(source: PeekedSource, ctx: ReadContext): AsyncGenerator<FileBatch> {
  const { summary, batcher } = ctx;
  summary.recordsPath = null;
  const checker = new Utf8Checker();
  const records = new JsonRecords(ctx);
  const lines = new LineCounter();
  const tokenizer = new Tokenizer();
  tokenizer.onToken = ({ token, value, offset }) => records.token(token, value, offset);
  let failure: unknown = null;
  let end = 0;

  const feed = (region: Buffer, byteStart: number, invalid: InvalidUtf8[]) => {
    records.offsetShift = checker.bom ? 3 : 0;
    summary.bom = checker.bom;
    records.invalid.push(...invalid);
    lines.add(region, byteStart);
    end = byteStart + region.length;
    if (region.length > 0) tokenizer.write(region);
  };
  const translate = (error: unknown): unknown => {
    if (error instanceof SyntaxProblem) return malformed(error.message, error.offset, lines, error);
    if (error instanceof UserError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const at = /absolute position "(\d+)"/.exec(message);
    const offset = at ? Number(at[1]) + records.offsetShift : end;
    const bad = records.invalid.find((i) => i.byteOffset <= offset);
    if (bad !== undefined) return malformed(`byte${bad.bytes.includes(' ') ? 's' : ''} ${bad.bytes} at byte ${bad.byteOffset} are not valid UTF-8 outside a string`, bad.byteOffset, lines, error);
    // The tokenizer says `Unexpected "x" at chunk position "3" (absolute position "9") in state NULL1`: keep the character.
    const char = /^Unexpected ("(?:[^"\\]|\\.)*"|".")/.exec(message)?.[1];
    const problem = char !== undefined ? `unexpected character ${char}` : message.replace(/ in state \w+/, '');
    return malformed(problem, offset, lines, error);
  };

  try {
    for await (const chunk of source.chunks()) {
      summary.bytes += chunk.length;
      const { region, byteStart, invalid } = checker.check(chunk);
      feed(region, byteStart, invalid);
      yield* batcher.take();
    }
    const { region, byteStart, invalid } = checker.check(new Uint8Array(0), true);
    feed(region, byteStart, invalid);
    tokenizer.end();
    if (!records.sawToken) throw new UserError('file_empty', 'The file is empty: it holds only blank space');
    records.end(end);
  } catch (error) {
    failure = translate(error);
  }
  yield* batcher.finish();
  if (failure !== null) throw failure;
}
