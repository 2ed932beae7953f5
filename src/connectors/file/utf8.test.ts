import { describe, expect, it } from 'vitest';
import { Utf8Checker, Utf8Decoder } from './utf8.js';

/** Decodes `bytes` fed in pieces cut at `cuts`. */
function decodeInPieces(bytes: Buffer, size: number) {
  const decoder = new Utf8Decoder();
  let text = '';
  for (let i = 0; i < bytes.length; i += size) text += decoder.decode(bytes.subarray(i, i + size));
  text += decoder.end();
  return { text, invalid: decoder.invalid, bom: decoder.bom };
}

const SAMPLES: [string, number[]][] = [
  ['lone continuation', [0x61, 0x80, 0x62]],
  ['latin-1 é', [0x63, 0x61, 0x66, 0xe9, 0x2c]],
  ['cut 3-byte sequence', [0x61, 0xe2, 0x82, 0x41]],
  ['surrogate half', [0xed, 0xa0, 0x80, 0x61]],
  ['overlong', [0xc0, 0xaf, 0x61]],
  ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['truncated at the end', [0x61, 0xf0, 0x9f, 0x98]],
  ['FF FE inside', [0x61, 0xff, 0xfe, 0x62]],
];

describe('Utf8Decoder', () => {
  it('decodes valid text split anywhere, characters cut across chunks included', () => {
    const text = 'a😀é東京\r\n"x"😀'.repeat(5);
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const out = decodeInPieces(bytes, size);
      expect(out.text).toBe(text);
      expect(out.invalid).toEqual([]);
    }
  });

  it('removes a BOM, even one cut in two, and counts offsets from the file start', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('ab'), Buffer.from([0xff]), Buffer.from('c')]);
    for (const size of [1, 2, 64]) {
      const out = decodeInPieces(bytes, size);
      expect(out.bom).toBe(true);
      expect(out.text).toBe('ab\uFFFDc');
      expect(out.invalid).toEqual([{ byteOffset: 5, charOffset: 2, bytes: 'ff' }]);
    }
  });

  it.each(SAMPLES)('replaces invalid bytes (%s) exactly as the WHATWG decoder, and says where', (_name, raw) => {
    const bytes = Buffer.from(raw);
    const expected = new TextDecoder('utf-8').decode(bytes);
    for (const size of [1, 2, 3, 64]) {
      const out = decodeInPieces(bytes, size);
      expect(out.text).toBe(expected);
      const marks = [...expected].reduce<number[]>((at, ch, i) => (ch === '\uFFFD' ? [...at, i] : at), []);
      expect(out.invalid.map((i) => i.charOffset)).toEqual(marks.map((m) => [...expected].slice(0, m).join('').length));
    }
  });

  it('tells an invalid byte from a real U+FFFD in the text', () => {
    const bytes = Buffer.concat([Buffer.from('x\uFFFDy', 'utf8'), Buffer.from([0xff])]);
    const out = decodeInPieces(bytes, 2);
    expect(out.text).toBe('x\uFFFDy\uFFFD');
    expect(out.invalid).toEqual([{ byteOffset: 5, charOffset: 3, bytes: 'ff' }]);
  });
});

describe('Utf8Checker', () => {
  it('passes valid regions through untouched and keeps cut characters for the next chunk', () => {
    const checker = new Utf8Checker();
    const bytes = Buffer.from('{"a":"é😀"}', 'utf8');
    const regions: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 3) {
      const r = checker.check(bytes.subarray(i, i + 3));
      expect(r.invalid).toEqual([]);
      regions.push(Buffer.from(r.region));
    }
    regions.push(checker.check(new Uint8Array(0), true).region);
    expect(Buffer.concat(regions).toString('utf8')).toBe('{"a":"é😀"}');
  });

  it('patches invalid bytes with ? (same length, so offsets hold) and lists them', () => {
    const checker = new Utf8Checker();
    const r = checker.check(Buffer.from([0x5b, 0x22, 0x61, 0xff, 0xc3, 0x22, 0x5d]), true);
    expect(r.region.toString('latin1')).toBe('["a??"]');
    expect(r.invalid).toEqual([
      { byteOffset: 3, charOffset: -1, bytes: 'ff' },
      { byteOffset: 4, charOffset: -1, bytes: 'c3' },
    ]);
  });
});
