import { describe, expect, it } from 'vitest';
import { detectColumns, nameScore } from './detect.js';

describe('detectColumns', () => {
  it('finds date, item, quantity and on hand in a typical sales-and-stock table', () => {
    const d = detectColumns([
      { name: 'store', type: 'string' },
      { name: 'sale_date', type: 'date' },
      { name: 'sku', type: 'string' },
      { name: 'units_sold', type: 'integer' },
      { name: 'qty_on_hand', type: 'integer' },
      { name: 'price', type: 'number' },
    ]);
    expect(d).toEqual({ dateColumn: 'sale_date', itemColumns: ['sku'], quantityColumn: 'units_sold', onHandColumn: 'qty_on_hand', problems: {} });
  });

  it('prefers the exact word, then a part of the name, then a column containing it', () => {
    expect(nameScore('qty', ['qty'])).toBe(3);
    expect(nameScore('order_qty', ['qty'])).toBe(2);
    expect(nameScore('orderqty', ['qty'])).toBe(1);
    expect(nameScore('price', ['qty'])).toBe(0);
    const d = detectColumns([
      { name: 'product_name', type: 'string' },
      { name: 'product', type: 'string' },
      { name: 'day', type: 'date' },
      { name: 'qty', type: 'number' },
    ]);
    expect(d.itemColumns).toEqual(['product']);
  });

  it('takes a timestamp, or a text column named like a date when no column is typed as one', () => {
    expect(detectColumns([{ name: 'created', type: 'timestamp' }, { name: 'sku', type: 'string' }, { name: 'qty', type: 'integer' }]).dateColumn).toBe('created');
    expect(detectColumns([{ name: 'date', type: 'string' }, { name: 'sku', type: 'string' }, { name: 'qty', type: 'integer' }]).dateColumn).toBe('date');
  });

  it('says why a role found nothing: the wrong type, or no column named so', () => {
    const d = detectColumns([
      { name: 'date', type: 'date' },
      { name: 'sku', type: 'string' },
      { name: 'quantity', type: 'string' },
    ]);
    expect(d.quantityColumn).toBeNull();
    expect(d.problems.quantityColumn).toMatch(/column "quantity" looks like it but is string, not a number/);
    expect(detectColumns([{ name: 'a', type: 'string' }]).problems).toMatchObject({
      dateColumn: expect.stringMatching(/no column of type date/),
      itemColumns: expect.stringMatching(/no column named like an item/),
      quantityColumn: expect.stringMatching(/no numeric column/),
    });
  });

  it('leaves out columns the settings already took', () => {
    const d = detectColumns(
      [
        { name: 'date', type: 'date' },
        { name: 'sku', type: 'string' },
        { name: 'qty', type: 'integer' },
        { name: 'stock', type: 'integer' },
      ],
      new Set(['stock']),
    );
    expect(d.onHandColumn).toBeNull();
    expect(d.quantityColumn).toBe('qty');
  });
});
