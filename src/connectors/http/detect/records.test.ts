import { describe, expect, it } from 'vitest';
import { chooseRecords } from './records.js';

const rows = (n: number, extra: Record<string, unknown> = {}) => Array.from({ length: n }, (_, i) => ({ id: i, ...extra }));

describe('chooseRecords', () => {
  it('takes a root array as the records', () => {
    expect(chooseRecords(rows(3))).toMatchObject({ recordsPath: undefined, finding: { confidence: 'high' } });
  });

  it('prefers a name APIs give their records over a larger list of side information', () => {
    const choice = chooseRecords({ meta: { warnings: rows(8, { code: 'W' }) }, data: rows(2) });
    expect(choice.recordsPath).toBe('$.data');
    expect(choice.finding.alternatives).toEqual(['$.meta.warnings']);
    expect(choice.question).toBeUndefined();
  });

  it('reads GraphQL edges through their node', () => {
    const choice = chooseRecords({ data: { repo: { issues: { edges: rows(2).map((node) => ({ node, cursor: 'c' })) } } } });
    expect(choice.recordsPath).toBe('$.data.repo.issues.edges[*].node');
    expect(choice.records).toEqual(rows(2));
  });

  it('asks when two unnamed lists of a like size could be the records, naming both', () => {
    const choice = chooseRecords({ customers: rows(5), suppliers: rows(4) });
    expect(choice.finding.confidence).toBe('low');
    expect(choice.question).toContain('$.customers');
    expect(choice.question).toContain('$.suppliers');
  });

  it('asks when the list is empty or there is none', () => {
    expect(chooseRecords({ data: [] }).question).toMatch(/empty/);
    expect(chooseRecords({ id: 1, name: 'one' })).toMatchObject({ records: [{ id: 1, name: 'one' }], question: expect.stringMatching(/no list/) });
  });
});
