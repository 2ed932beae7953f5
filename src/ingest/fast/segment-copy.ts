import type { FieldMappingInput } from '../../mapping/index.js';
import { CopyBytes, type CopyTarget } from '../../stores/warehouse/index.js';
import type { CopyLines } from './copy-sink.js';
import { planFields, writeFieldBytes, writeValue, type FieldPlan } from './fields.js';

/** A record the fast path leaves to the ordinary one. */
export interface DeclinedRecord {
  rowNumber: number;
  data: unknown;
}

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * The raw store's segments (JSON arrays of records, as `readSegments`
 * gives them: UTF-8 bytes) straight to COPY lines, without parsing them
 * into objects or decoding them to strings:
 * for flat records whose values are strings or null, as the CSV reader
 * makes them. The first record of a segment fixes its keys' order; a
 * segment whose records are not all like it (other keys, nested values,
 * numbers) is left whole to the caller, who parses it. Within a taken
 * segment, a record the fast path declines (see fields.ts) is parsed alone
 * and handed back for the ordinary path.
 */
export class SegmentCopyEncoder {
  readonly #target: CopyTarget | null;
  readonly #plan: FieldPlan[] | null;
  #lines: Buffer[] = [];
  #rows = 0;
  #starts = new Int32Array(0);
  #ends = new Int32Array(0);
  /** Per key: 0 a string without escapes, 1 a string with escapes, 2 null. */
  #kinds = new Uint8Array(0);

  constructor(mappings: readonly FieldMappingInput[], target: CopyTarget | null) {
    this.#target = target;
    this.#plan = target === null ? null : planFields(mappings, null, target);
  }

  get enabled(): boolean {
    return this.#plan !== null;
  }

  /**
   * Writes the records of `json` (UTF-8 bytes) after the first `skip`;
   * returns the ones it declined, or null (nothing written) when the segment
   * is not made of flat records alike.
   */
  encode(json: Buffer, rowNumbers: readonly number[], skip: number): DeclinedRecord[] | null {
    const plan = this.#plan;
    if (plan === null || json[0] !== 91 /* [ */ || json[1] !== 123 /* { */) return null;
    const keys = firstKeys(json);
    if (keys === null) return null;
    const tokens = keys.map((k, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(k)}:`, 'utf8'));
    // Where each column's value is among the record's keys (-1: the records lack it, so it is null).
    const positions = plan.map((p) => (p.key === null ? -1 : keys.indexOf(p.key)));
    if (this.#kinds.length < keys.length) {
      this.#starts = new Int32Array(keys.length);
      this.#ends = new Int32Array(keys.length);
      this.#kinds = new Uint8Array(keys.length);
    }
    const starts = this.#starts;
    const ends = this.#ends;
    const kinds = this.#kinds;
    const prefix = this.#target!.linePrefix;
    const out = new CopyBytes(256 * 1024);
    const declined: DeclinedRecord[] = [];
    const n = json.length;
    let rows = 0;
    let pos = 1;
    for (let r = 0; r < rowNumbers.length; r++) {
      if (r > 0) {
        if (json[pos] !== 44 /* , */) return null;
        pos++;
      }
      const recordStart = pos;
      for (let k = 0; k < tokens.length; k++) {
        const token = tokens[k]!;
        if (!startsWith(json, token, pos)) return null;
        pos += token.length;
        const c = json[pos];
        if (c === QUOTE) {
          // The closing quote: the first one not escaped. A loop, not indexOf: values are short,
          // and a native call per value cost more than it saved.
          let j = pos + 1;
          let escaped = 0;
          for (;;) {
            if (j >= n) return null; // the end of the text: not JSON we wrote
            const d = json[j]!;
            if (d === QUOTE) break;
            if (d === BACKSLASH) {
              escaped = 1;
              j += 2; // the escaped character is skipped, whatever it is
            } else {
              j++;
            }
          }
          starts[k] = pos + 1;
          ends[k] = j;
          kinds[k] = escaped;
          pos = j + 1;
        } else if (c === 110 /* n */ && json[pos + 1] === 117 && json[pos + 2] === 108 && json[pos + 3] === 108) {
          kinds[k] = 2;
          pos += 4;
        } else {
          return null; // a number, a boolean, an object...: parsed the ordinary way
        }
      }
      if (json[pos] !== 125 /* } */) return null;
      pos++;
      if (r < skip) continue;
      const rowNumber = rowNumbers[r]!;
      if (!this.#line(out, plan, positions, json, prefix, rowNumber)) {
        out.abortRow();
        declined.push({ rowNumber, data: JSON.parse(json.toString('utf8', recordStart, pos)) });
      } else {
        rows++;
      }
    }
    if (json[pos] !== 93 /* ] */ || pos !== n - 1) return null;
    if (rows > 0) {
      this.#lines.push(...out.finish());
      this.#rows += rows;
    }
    return declined;
  }

  /** The lines written since the last call, or undefined when none. */
  take(): CopyLines | undefined {
    if (this.#rows === 0) return undefined;
    const lines = { chunks: this.#lines, rows: this.#rows };
    this.#lines = [];
    this.#rows = 0;
    return lines;
  }

  #line(out: CopyBytes, plan: FieldPlan[], positions: number[], json: Buffer, prefix: Buffer, rowNumber: number): boolean {
    out.beginRow();
    out.bytes(prefix);
    out.digits(rowNumber);
    for (let i = 0; i < plan.length; i++) {
      const field = plan[i]!;
      const k = positions[i]!;
      if (k < 0 || this.#kinds[k] === 2) {
        if (field.nullDeclines) return false;
        out.separator(true);
        continue;
      }
      out.separator(false);
      const from = this.#starts[k]!;
      const to = this.#ends[k]!;
      if (this.#kinds[k] === 0) {
        // No escape in the token: its bytes are the text, and they hold no character COPY escapes
        // (JSON has none of them raw) nor a quote: text and JSON columns take them as they are.
        if (field.mapType === field.tableType) {
          if (field.mapType === 'string') {
            out.span(json, from, to);
            continue;
          }
          if (field.mapType === 'json') {
            out.byte(34);
            out.span(json, from, to);
            out.byte(34);
            continue;
          }
        }
        if (!writeFieldBytes(out, field, json, from, to, -1)) return false;
        continue;
      }
      // Escapes in the token: text is unescaped straight into COPY text; a JSON column holds the
      // token itself (JSON.stringify of the value), its backslashes doubled, unless it has a \u escape.
      const mark = out.mark;
      if (field.mapType === field.tableType && field.mapType === 'string' && out.jsonTokenTextBytes(json, from, to)) continue;
      out.rewind(mark);
      if (field.mapType === field.tableType && field.mapType === 'json' && !hasUnusualEscape(json, from, to)) {
        out.byte(34);
        if (out.textBytes(json, from, to, -1)) {
          out.byte(34);
          continue;
        }
      }
      out.rewind(mark);
      const value = JSON.parse(json.toString('utf8', from - 1, to + 1)) as string;
      if (!writeValue(out, field, value)) return false;
    }
    out.byte(10);
    out.endRow();
    return true;
  }
}

/**
 * Whether a JSON string token's content holds an escape that is not one
 * JSON.stringify writes for a character it must escape (`\u`, which may
 * stand for NUL or a lone surrogate, or `\/`): then the value is parsed.
 */
function hasUnusualEscape(json: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (json[i] !== BACKSLASH) continue;
    const e = json[++i];
    if (e === 117 || e === 47) return true;
  }
  return false;
}

/** Whether `bytes` holds `token` at `at` (tokens are a few bytes: a loop beats a native compare). */
function startsWith(bytes: Buffer, token: Buffer, at: number): boolean {
  const n = token.length;
  if (at + n > bytes.length) return false;
  for (let i = 0; i < n; i++) if (bytes[at + i] !== token[i]) return false;
  return true;
}

/** The keys of the first record of a JSON array of records, when they are plain (no escapes) and distinct; else null. */
function firstKeys(json: Buffer): string[] | null {
  const keys: string[] = [];
  const n = json.length;
  let pos = 1; // at `{`
  for (;;) {
    const c = json[pos];
    if (c === 125 /* } */ && keys.length === 0) return null; // an empty record: nothing to gain
    if (c !== (keys.length === 0 ? 123 : 44)) return null;
    if (json[pos + 1] !== QUOTE) return null;
    const end = json.indexOf(QUOTE, pos + 2);
    if (end === -1) return null;
    const key = json.toString('utf8', pos + 2, end);
    if (key.includes('\\') || keys.includes(key) || json[end + 1] !== 58 /* : */) return null;
    keys.push(key);
    // Skip the value: a plain string or null (anything else makes the segment the ordinary path's anyway).
    pos = end + 2;
    if (json[pos] === QUOTE) {
      let j = pos + 1;
      for (;;) {
        if (j >= n) return null;
        const d = json[j]!;
        if (d === QUOTE) break;
        j += d === BACKSLASH ? 2 : 1;
      }
      pos = j + 1;
    } else if (json[pos] === 110 && json[pos + 1] === 117 && json[pos + 2] === 108 && json[pos + 3] === 108) {
      pos += 4;
    } else {
      return null;
    }
    if (json[pos] === 125) return keys;
  }
}
