import { isUtf8 } from 'node:buffer';
import { UserError } from '../../errors/index.js';
import { describeJsonKind, formatBytes, isJsonObject, rawPreview, type ReadContext } from './batcher.js';
import type { FileBatch } from './file.schema.js';
import type { PeekedSource } from './source.js';
import { describeInvalidUtf8, Utf8Checker } from './utf8.js';

/**
 * NDJSON (JSON Lines): one JSON object per line, split on `\n` in bytes and
 * parsed with JSON.parse, which is fast. Blank lines are skipped; a line
 * that is not JSON, not an object, not UTF-8 or longer than `maxRowBytes`
 * is a rejected row whose reason names its line.
 */

/** Reads NDJSON records in batches. */
export async function* readNdjson(source: PeekedSource, ctx: ReadContext): AsyncGenerator<FileBatch> {
  const { options, summary, batcher } = ctx;
  const max = options.maxRowBytes;
  /** The current line's bytes from earlier chunks. */
  let pieces: Buffer[] = [];
  let pieceBytes = 0;
  let skipping = false;
  let lineNumber = 1;
  /** File offset of the current line's first byte. */
  let lineStart = 0;
  let offset = 0;
  let sawContent = false;

  const line = (bytes: Buffer, number: number, start: number): void => {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 13) end -= 1;
    let body = bytes.subarray(0, end);
    if (start === 0 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
      summary.bom = true;
      body = body.subarray(3);
      start = 3;
    }
    if (!isUtf8(body)) {
      const text = body.toString('utf8');
      if (text.trim() === '') {
        summary.blankLines += 1;
        return;
      }
      sawContent = true;
      const { invalid } = new Utf8Checker().check(body, true);
      const shifted = invalid.map((i) => ({ ...i, byteOffset: i.byteOffset + start }));
      summary.invalidUtf8Rows += 1;
      batcher.reject(rawPreview(text), null, `line ${number} ${describeInvalidUtf8(shifted[0]!, shifted.length)}`);
      return;
    }
    const text = body.toString('utf8');
    if (text.trim() === '') {
      summary.blankLines += 1;
      return;
    }
    sawContent = true;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      batcher.reject(rawPreview(text), null, `line ${number} is not valid JSON: ${(error as Error).message}`);
      return;
    }
    if (isJsonObject(value)) batcher.record(value);
    else batcher.reject(value, null, `line ${number} is ${describeJsonKind(value)}, not an object`);
  };

  for await (const chunk of source.chunks()) {
    summary.bytes += chunk.length;
    let pos = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, pos)) {
      if (skipping) {
        skipping = false;
      } else if (pieceBytes + (nl - pos) > max) {
        batcher.reject(null, null, `line ${lineNumber} is longer than ${formatBytes(max)} (maxRowBytes); it was skipped`);
        sawContent = true;
      } else {
        line(pieces.length === 0 ? chunk.subarray(pos, nl) : Buffer.concat([...pieces, chunk.subarray(pos, nl)]), lineNumber, lineStart);
      }
      pieces = [];
      pieceBytes = 0;
      lineNumber += 1;
      pos = nl + 1;
      lineStart = offset + pos;
    }
    if (!skipping && pos < chunk.length) {
      const rest = chunk.subarray(pos);
      if (pieceBytes + rest.length > max) {
        batcher.reject(null, null, `line ${lineNumber} is longer than ${formatBytes(max)} (maxRowBytes); it was skipped`);
        sawContent = true;
        pieces = [];
        pieceBytes = 0;
        skipping = true;
      } else {
        // Copied: the chunk's memory may be reused by the stream.
        pieces.push(Buffer.from(rest));
        pieceBytes += rest.length;
      }
    }
    offset += chunk.length;
    yield* batcher.take();
  }
  if (!skipping && pieceBytes > 0) line(Buffer.concat(pieces), lineNumber, lineStart);
  yield* batcher.finish();
  if (!sawContent) throw new UserError('file_empty', 'The file is empty: it holds only blank lines');
}
