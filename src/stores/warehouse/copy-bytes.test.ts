import { describe, expect, it } from 'vitest';
import { CopyBytes } from './copy-bytes.js';

const row = (out: CopyBytes, text: string) => {
  out.beginRow();
  out.raw(text);
  out.endRow();
};

describe('CopyBytes.takeCopy', () => {
  it('gives the complete rows as one buffer, keeps the row being written, and goes on writing', () => {
    const out = new CopyBytes(16); // a 32-byte working buffer: rows spill into ready pieces
    for (let i = 0; i < 10; i++) row(out, `row ${i} ${'é'.repeat(i)}\n`);
    out.beginRow();
    out.raw('partial');
    const first = out.takeCopy();
    expect(first.toString('utf8')).toBe(Array.from({ length: 10 }, (_, i) => `row ${i} ${'é'.repeat(i)}\n`).join(''));
    out.raw(' row\n');
    out.endRow();
    row(out, 'next\n');
    expect(out.takeCopy().toString('utf8')).toBe('partial row\nnext\n');
    expect(out.takeCopy().length).toBe(0);
  });

  it('finish hands out the complete rows without the partial one', () => {
    const out = new CopyBytes(8);
    row(out, 'a\tb\n');
    row(out, 'c\td\n');
    out.beginRow();
    out.raw('dropped');
    expect(Buffer.concat(out.finish()).toString('utf8')).toBe('a\tb\nc\td\n');
  });
});
