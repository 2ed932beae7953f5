import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectDialect, detectFormat, detectHeader, sniffFormat } from './detect.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/files/${name}`, import.meta.url));
const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('sniffFormat', () => {
  it('goes by the extension when the content agrees or cannot tell', () => {
    expect(sniffFormat(bytes('a,b\n1,2\n'), 'x.csv')).toBe('csv');
    expect(sniffFormat(bytes('a\tb\n1\t2\n'), 'x.tsv')).toBe('tsv');
    expect(sniffFormat(bytes('[{"a":1}]'), 'x.json')).toBe('json');
    expect(sniffFormat(bytes('{"a":1}'), 'x.jsonl')).toBe('ndjson');
    expect(sniffFormat(bytes('just one column\nof text\n'), 'x.tsv')).toBe('tsv');
  });

  it('lets conclusive content win over the extension', () => {
    // A .json file with one object per line is NDJSON; a .csv separated by tabs is TSV.
    expect(sniffFormat(bytes('{"a":1}\n{"a":2}\n'), 'export.json')).toBe('ndjson');
    expect(sniffFormat(bytes('a\tb\tc\n1\t2\t3\n'), 'export.csv')).toBe('tsv');
  });

  it('reads the content when there is no telling extension', () => {
    expect(sniffFormat(bytes('[\n {"a": 1}\n]'))).toBe('json');
    expect(sniffFormat(bytes('{\n  "data": []\n}'), 'upload.txt')).toBe('json');
    expect(sniffFormat(bytes('{"a":1}\n{"b":2}\n'))).toBe('ndjson');
    expect(sniffFormat(bytes('a;b;c\n1;2;3\n'), 'data.txt')).toBe('csv');
    expect(sniffFormat(bytes('x|y\n1|2\n'))).toBe('csv');
    expect(sniffFormat(bytes('x\ty\n1\t2\n'))).toBe('tsv');
    expect(sniffFormat(bytes('\uFEFF  [1]'))).toBe('json');
  });

  it('refuses empty files with file_empty', () => {
    expect(() => sniffFormat(new Uint8Array(0), 'x.csv')).toThrow(expect.objectContaining({ code: 'file_empty', message: 'The file is empty (0 bytes)' }));
    expect(() => sniffFormat(bytes('\uFEFF\n  \r\n'), 'x.csv')).toThrow(expect.objectContaining({ code: 'file_empty' }));
  });

  it.each([
    ['a zip that is not an Excel workbook', [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00], /ZIP archive or an OpenDocument workbook/],
    ['an old Excel workbook', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1], /old Excel workbook/],
    ['gzip', [0x1f, 0x8b, 0x08, 0x00], /gzip/],
    ['a PDF', [...bytes('%PDF-1.7\n')], /PDF/],
    ['UTF-16', [0xff, 0xfe, 0x61, 0x00, 0x2c, 0x00], /UTF-16.*save it as UTF-8/],
    ['binary', [0x61, 0x00, 0x62, 0x00], /NUL bytes/],
  ])('refuses %s with file_unsupported, saying what it looks like', (_name, raw, message) => {
    expect(() => sniffFormat(Uint8Array.from(raw), 'upload.csv')).toThrow(expect.objectContaining({ code: 'file_unsupported', message: expect.stringMatching(message) }));
  });
});

describe('detectFormat', () => {
  it('reads the first bytes of a path', async () => {
    await expect(detectFormat(fixture('orders.csv'))).resolves.toBe('csv');
    await expect(detectFormat(fixture('people.tsv'))).resolves.toBe('tsv');
    await expect(detectFormat(fixture('records.json'))).resolves.toBe('json');
    await expect(detectFormat(fixture('events.ndjson'))).resolves.toBe('ndjson');
    await expect(detectFormat(fixture('pipes.txt'))).resolves.toBe('csv');
    await expect(detectFormat(fixture('empty.csv'))).rejects.toMatchObject({ code: 'file_empty' });
  });

  it('takes first bytes and a filename', async () => {
    await expect(detectFormat(bytes('{"a":1}'), 'one.ndjson')).resolves.toBe('ndjson');
  });
});

describe('detectDialect', () => {
  it.each([
    [',', 'name,price,qty\n"Smith, Ann",1.5,3\nBob,2,4\n'],
    [';', 'produit;prix;qté\nPomme;1,20;3\nPoire;0,95;10\n'],
    ['\t', 'a\tb\tc\n1\t2,5\t3\n'],
    ['|', 'a|b|c\n1|2|3\n'],
  ])('finds the delimiter %j from the rows', (delimiter, text) => {
    const dialect = detectDialect(text, true, {});
    expect(dialect.delimiter).toBe(delimiter);
    expect(dialect.conclusive).toBe(true);
    expect(dialect.fieldCount).toBe(3);
  });

  it('is not fooled by delimiters inside quotes', () => {
    const text = 'a;b\n"x, y, z";1\n"p, q, r";2\n';
    expect(detectDialect(text, true, {}).delimiter).toBe(';');
  });

  it('falls back to a comma for a one-column file, and says it could not tell', () => {
    const dialect = detectDialect('name\nAnn\nBob\n', true, {});
    expect(dialect).toMatchObject({ delimiter: ',', conclusive: false, fieldCount: 1 });
  });

  it('tells the line break and the quote character', () => {
    expect(detectDialect('a,b\r\n1,2\r\n', true, {}).lineBreak).toBe('crlf');
    expect(detectDialect('a,b\n1,2\n', true, {}).lineBreak).toBe('lf');
    expect(detectDialect('a,b\r1,2\r', true, {}).lineBreak).toBe('cr');
    expect(detectDialect("'a','b'\n'x, y',2\n", true, {})).toMatchObject({ quote: "'", delimiter: ',', fieldCount: 2 });
    expect(detectDialect('"a","b"\n"it\'s",2\n', true, {}).quote).toBe('"');
  });

  it('keeps a given delimiter', () => {
    expect(detectDialect('a,b;c\n1,2;3\n', true, { delimiter: ';' })).toMatchObject({ delimiter: ';', fieldCount: 2 });
  });
});

describe('detectHeader', () => {
  it('takes a first row of distinct text over data rows as the header', () => {
    expect(detectHeader([['id', 'name', 'joined'], ['1', 'Ann', '2024-01-02']])).toBe(true);
    // All text: no telling, and most files have a header.
    expect(detectHeader([['name', 'city'], ['Ann', 'Paris']])).toBe(true);
    expect(detectHeader([['name', 'city']])).toBe(true);
  });

  it('sees data, not a header, in a first row holding numbers, dates, booleans, blanks or repeats', () => {
    expect(detectHeader([['1', 'Ann'], ['2', 'Bob']])).toBe(false);
    expect(detectHeader([['Ann', '2024-01-02'], ['Bob', '2024-01-03']])).toBe(false);
    expect(detectHeader([['Ann', 'true']])).toBe(false);
    expect(detectHeader([['id', '', 'name']])).toBe(false);
    expect(detectHeader([['x', 'X']])).toBe(false);
    expect(detectHeader([])).toBe(false);
  });
});
