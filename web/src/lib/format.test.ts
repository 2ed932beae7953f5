import { describe, expect, it } from 'vitest';
import { bytes } from './format';

describe('bytes', () => {
  it('reads as a person reads a size', () => {
    expect(bytes(0)).toBe('0 bytes');
    expect(bytes(1)).toBe('1 byte');
    expect(bytes(1023)).toBe('1023 bytes');
    expect(bytes(1536)).toBe('1.5 KB');
    // The example: 120586.2 KiB.
    expect(bytes(Math.round(120586.2 * 1024))).toBe('118 MB');
    expect(bytes(1024 * 1024 - 1)).toBe('1 MB');
    expect(bytes(1000 * 1024)).toBe('0.977 MB');
    expect(bytes(2048 * 1024 * 1024)).toBe('2 GB');
    expect(bytes(null)).toBe('—');
  });
});
