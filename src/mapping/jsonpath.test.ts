import { describe, expect, it } from 'vitest';
import { UserError } from '../errors/index.js';
import { compilePath, compilePathAll } from './jsonpath.js';

const doc = {
  data: [
    { id: 1, name: 'lamp', price: 5, tags: ['sale'], owner: { id: 10 } },
    { id: 2, name: 'desk.large', price: 150, tags: [], owner: null },
    { id: 3, name: ')]', price: 20, tags: ['new', 'sale'] },
  ],
  'weird key': { x: 'w' },
  'a.b': 'dotted',
  meta: { limit: 10, total: 3 },
  empty: null,
  zero: 0,
  no: false,
};

const first = (path: string, value: unknown = doc) => compilePath(path)(value);
const all = (path: string, value: unknown = doc) => compilePathAll(path)(value);

describe('compilePath: simple paths', () => {
  it('reads the root, names, indices and quoted keys', () => {
    expect(first('$')).toBe(doc);
    expect(first('$.meta.total')).toBe(3);
    expect(first('$.data[0].name')).toBe('lamp');
    expect(first('$.data[2].tags[1]')).toBe('sale');
    expect(first("$['weird key'].x")).toBe('w');
    expect(first('$["weird key"]["x"]')).toBe('w');
    expect(first("$['a.b']")).toBe('dotted');
    expect(first('$.data.0.id')).toBe(1);
  });

  it('counts negative indices from the end', () => {
    expect(first('$.data[-1].id')).toBe(3);
    expect(first('$.data[-3].id')).toBe(1);
    expect(first('$.data[-4]')).toBeUndefined();
  });

  it('answers undefined when nothing is there, and keeps null, 0 and false', () => {
    expect(first('$.missing')).toBeUndefined();
    expect(first('$.meta.total.deeper')).toBeUndefined();
    expect(first('$.data[9].id')).toBeUndefined();
    expect(first('$.data[1].owner.id')).toBeUndefined();
    expect(first('$.empty')).toBeNull();
    expect(first('$.zero')).toBe(0);
    expect(first('$.no')).toBe(false);
    expect(all('$.missing')).toEqual([]);
    expect(all('$.empty')).toEqual([null]);
  });

  it('does not step into strings or numbers', () => {
    expect(first('$.data[0].name.length')).toBeUndefined();
    expect(first('$.data[0].name[0]')).toBeUndefined();
    expect(first('$.a', 'text')).toBeUndefined();
    expect(first('$.a', null)).toBeUndefined();
  });

  it('reads the root of any value', () => {
    expect(first('$', 42)).toBe(42);
    expect(all('$', [1, 2])).toEqual([[1, 2]]);
  });

  it('trims whitespace around the path', () => {
    expect(first('  $.meta.limit ')).toBe(10);
  });

  it('accepts unusual but unambiguous dotted names', () => {
    const record = { 'user-id': 1, $ref: 2, '@id': 3, 'a:b': 4, café: 5 };
    expect(first('$.user-id', record)).toBe(1);
    expect(first('$.$ref', record)).toBe(2);
    expect(first('$.@id', record)).toBe(3);
    expect(first('$.a:b', record)).toBe(4);
    expect(first('$.café', record)).toBe(5);
  });

  it('reads escapes in quoted keys', () => {
    const record = { "it's": 1, 'a"b': 2, 'tab\there': 3, é: 4 };
    expect(first("$['it\\'s']", record)).toBe(1);
    expect(first('$["a\\"b"]', record)).toBe(2);
    expect(first("$['tab\\there']", record)).toBe(3);
    expect(first("$['\\u00e9']", record)).toBe(4);
  });
});

describe('compilePath: wildcards, descendants, unions, slices', () => {
  it('selects every child with *', () => {
    expect(all('$.data[*].id')).toEqual([1, 2, 3]);
    expect(all('$.meta.*')).toEqual([10, 3]);
    expect(first('$.data[*].id')).toBe(1);
  });

  it('finds descendants in document order with ..', () => {
    expect(all('$..id')).toEqual([1, 10, 2, 3]);
    expect(first('$..id')).toBe(1);
    expect(all('$..x')).toEqual(['w']);
    expect(all("$..['a.b']")).toEqual(['dotted']);
    expect(all('$.data..tags[0]')).toEqual(['sale', 'new']);
  });

  it('selects unions and slices', () => {
    expect(all('$.data[0,2].id')).toEqual([1, 3]);
    expect(all("$['meta','a.b']")).toEqual([{ limit: 10, total: 3 }, 'dotted']);
    expect(all("$..['a b','id']", { x: { 'a b': 1 }, id: 2 })).toEqual([2, 1]);
    expect(all('$.data[0:2].id')).toEqual([1, 2]);
    expect(all('$.data[::2].id')).toEqual([1, 3]);
    expect(all('$.data[-2:].id')).toEqual([2, 3]);
    expect(all('$.data[*].tags[-1]')).toEqual(['sale', 'sale']);
  });

  it('answers nothing below a scalar root', () => {
    expect(all('$..id', 5)).toEqual([]);
    expect(all('$.*', null)).toEqual([]);
    expect(first('$[*]', 'abc')).toBeUndefined();
  });
});

describe('compilePath: filters', () => {
  it('compares fields with numbers and strings', () => {
    expect(all('$.data[?(@.price < 100)].id')).toEqual([1, 3]);
    expect(all('$.data[?(@.price >= 20)].id')).toEqual([2, 3]);
    expect(all("$.data[?(@.name == 'lamp')].id")).toEqual([1]);
    expect(all('$.data[?(@.name != "lamp")].id')).toEqual([2, 3]);
    expect(all('$.data[?(@.name === "desk.large")].id')).toEqual([2]);
    expect(all('$.data[?(@.price > -1)].id')).toEqual([1, 2, 3]);
  });

  it('combines conditions with &&, ||, ! and parentheses', () => {
    expect(all("$.data[?(@.price < 100 && @.tags[0] == 'sale')].id")).toEqual([1]);
    expect(all("$.data[?(@.price < 100 && (@.tags[0] == 'sale' || @.tags[1] == 'sale'))].id")).toEqual([1, 3]);
    expect(all('$.data[?(@.id == 1 || (@.price > 100 && !@.owner))].id')).toEqual([1, 2]);
    expect(all('$.data[?(!(@.id == 1))].id')).toEqual([2, 3]);
  });

  it('treats a bare path as "present and not null or false"', () => {
    expect(all('$.data[?(@.owner)].id')).toEqual([1]);
    expect(all('$.data[?(!@.owner)].id')).toEqual([2, 3]);
  });

  it('reads @root, $, @property and length', () => {
    expect(all('$.data[?(@.price > @root.meta.limit)].id')).toEqual([2, 3]);
    expect(all('$.data[?(@.price > $.meta.limit)].id')).toEqual([2, 3]);
    expect(all('$.data[?(@property == 1)].id')).toEqual([2]);
    expect(all('$.data[?(@.tags.length == 2)].id')).toEqual([3]);
    expect(all('$.data[?(@.name.length == 2)].id')).toEqual([3]);
  });

  it('compares without type conversion', () => {
    expect(all("$.data[?(@.id == '1')].id")).toEqual([]);
    expect(all("$.data[?(@.price < '100')].id")).toEqual([]);
    expect(all('$.data[?(@.tags == null)].id')).toEqual([]);
    expect(all('$.data[?(@.owner == null)].id')).toEqual([2]);
  });

  it('accepts RFC 9535 filters without parentheses', () => {
    expect(all('$.data[?@.price<10].id')).toEqual([1]);
  });

  it('keeps brackets and quotes inside filter strings literal', () => {
    expect(all("$.data[?(@.name == ')]')].id")).toEqual([3]);
    expect(all(`$.data[?(@.name == "desk.large" || @.name == "it's @.x")].id`)).toEqual([2]);
  });

  it('filters objects by their values', () => {
    const record = { users: { a: { age: 30 }, b: { age: 12 } } };
    expect(all('$.users[?(@.age > 18)]', record)).toEqual([{ age: 30 }]);
  });
});

describe('compilePath: prototype safety', () => {
  const plain = { a: {}, list: [1] };

  it('never reaches Object.prototype through names', () => {
    for (const path of ['$.__proto__', '$.constructor', '$.toString', '$.hasOwnProperty', '$.a.__proto__', '$.a.constructor.name', "$['__proto__']", "$['constructor']['prototype']", '$.list.map']) {
      expect(first(path, plain), path).toBeUndefined();
    }
  });

  it('never reaches Object.prototype through wildcards, descendants or filters', () => {
    expect(all('$..constructor', plain)).toEqual([]);
    expect(all('$..__proto__', plain)).toEqual([]);
    expect(all('$.a.*', plain)).toEqual([]);
    expect(all('$[?(@.constructor)]', plain)).toEqual([]);
    expect(all('$[?(@.__proto__)]', plain)).toEqual([]);
    expect(all('$.list[?(@.constructor.name == "Number")]', plain)).toEqual([]);
  });

  it('reads keys named like prototype properties when the record has them', () => {
    const record = JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') as unknown;
    expect(first('$.__proto__.x', record)).toBe(1);
    expect(first('$.constructor', record)).toBe('c');
    expect(all('$..x', record)).toEqual([1]);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  });

  it('reads records without a prototype', () => {
    const record = Object.assign(Object.create(null) as object, { a: { b: 1 } });
    expect(first('$.a.b', record)).toBe(1);
    expect(all('$..b', record)).toEqual([1]);
  });
});

describe('compilePath: invalid paths', () => {
  const invalid = (path: string): UserError => {
    try {
      compilePath(path);
    } catch (error) {
      return error as UserError;
    }
    throw new Error(`${path} was accepted`);
  };

  it.each([
    ['', 'must start with $'],
    ['data.items', 'must start with $'],
    ['$.', 'expected a name'],
    ['$..', 'expected a name'],
    ['$.a.', 'expected a name'],
    ['$[', 'inside [ ]'],
    ['$[0', 'expected "]"'],
    ['$[abc]', 'inside [ ]'],
    ["$['open", 'unterminated string'],
    ['$a', 'unexpected "a"'],
    ['$.a b', 'unexpected " "'],
    ['$.items[::0]', 'step must be 1 or more'],
    ['$.items[::-1]', 'step must be 1 or more'],
    ['$[(@.length-1)]', 'script expressions'],
    ['$.a[?(@.x = 1)]', 'use == to compare'],
    ['$.a[?(@.x == )]', 'unexpected ")"'],
    ['$.a[?(@.x ==', 'where a value was expected'],
    ['$.a[?(@.x.constructor.constructor("return 1")())]', 'function calls are not supported'],
    ['$.a[?(@.x + 1 > 2)]', 'arithmetic is not supported'],
    ['$.a[?(@.x > 1) @.y]', 'expected "]"'],
    ['$.a[?(process.exit())]', 'unknown name "process"'],
    ['$.a[?(@parent.x)]', '@parent is not supported'],
    ["$['it\\'s'][*]", 'cannot be combined'],
    ['$[-1,0]', 'negative indices'],
  ])('refuses %j', (path, reason) => {
    const error = invalid(path);
    expect(error).toBeInstanceOf(UserError);
    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain(JSON.stringify(path));
    expect(error.message).toContain(reason);
  });

  it('names where the problem is', () => {
    expect(invalid('$.a[?(@.x = 1)]').message).toMatch(/position \d+/);
  });
});
