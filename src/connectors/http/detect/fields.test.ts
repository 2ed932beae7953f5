import { describe, expect, it } from 'vitest';
import { proposeFields } from './fields.js';

const records = Array.from({ length: 60 }, (_, i) => ({
  id: i + 1,
  sku: `SKU-${i % 3}`,
  price: i === 7 ? 'twelve' : i * 1.5,
  updated_at: new Date(Date.UTC(2026, 0, 1, i)).toISOString(),
}));

describe('proposeFields', () => {
  it('types a column as nearly all values agree: one stray value does not turn prices into text', () => {
    const { mappings } = proposeFields(records);
    expect(mappings.find((m) => m.target === 'price')?.type).toBe('number');
    expect(mappings.find((m) => m.target === 'id')?.type).toBe('integer');
  });

  it('proposes the unique id as key, not a repeated sku, and updated_at as cursor', () => {
    const { primaryKey, incremental } = proposeFields(records);
    expect(primaryKey).toMatchObject({ value: { field: 'id', column: 'id' }, confidence: 'high' });
    expect(incremental).toMatchObject({ value: { cursorField: 'updated_at' }, confidence: 'medium' });
  });

  it('proposes no key when the id repeats across pages, and a growing id as cursor only when there is no timestamp', () => {
    const repeated = proposeFields([{ id: 1 }, { id: 2 }, { id: 1 }]);
    expect(repeated.primaryKey.value).toBeNull();
    const growing = proposeFields([{ id: 3 }, { id: 5 }, { id: 9 }]);
    expect(growing.incremental).toMatchObject({ value: { cursorField: 'id' }, confidence: 'low' });
  });
});
