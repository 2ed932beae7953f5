// @vitest-environment happy-dom
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithApp } from '../../../test-utils';
import type { MappingRow } from './connection-form';
import { MappingEditor, type MappingEditorProps } from './mapping-editor';

afterEach(cleanup);

const schema: NonNullable<MappingEditorProps['schema']> = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'first_name', type: 'string', nullable: true },
  { name: 'score', type: 'string', nullable: true },
];
const sample = [{ id: 1, 'First Name': 'Ada', score: '1.5' }];

/** The editor as the builder holds it: controlled, reporting every change. */
function Harness({ report }: { report: (mappings: MappingRow[]) => void }) {
  const [mappings, setMappings] = useState<MappingRow[]>([]);
  return (
    <MappingEditor
      value={mappings}
      schema={schema}
      sample={sample}
      onChange={(next) => {
        setMappings(next);
        report(next);
      }}
    />
  );
}

describe('MappingEditor', () => {
  it('is prefilled from the inferred schema, and a changed type updates the mappings it reports', async () => {
    const report = vi.fn<(mappings: MappingRow[]) => void>();
    renderWithApp(<Harness report={report} />);

    expect(await screen.findByLabelText('Source of mapping 1')).toHaveProperty('value', '$.id');
    expect(screen.getByLabelText('Source of mapping 2')).toHaveProperty('value', "$['First Name']");
    expect(screen.getByLabelText('Column of mapping 2')).toHaveProperty('value', 'first_name');
    expect(screen.getByLabelText('Type of mapping 1')).toHaveProperty('value', 'integer');
    expect(screen.getByLabelText('Mapping 1 is required')).toHaveProperty('checked', true);
    expect(screen.getByLabelText('Mapping 3 is required')).toHaveProperty('checked', false);
    expect(report).toHaveBeenLastCalledWith([
      { source: '$.id', target: 'id', type: 'integer', required: true },
      { source: "$['First Name']", target: 'first_name', type: 'string', required: false },
      { source: '$.score', target: 'score', type: 'string', required: false },
    ]);

    await userEvent.selectOptions(screen.getByLabelText('Type of mapping 3'), 'number');
    expect(report.mock.lastCall?.[0][2]).toEqual({ source: '$.score', target: 'score', type: 'number', required: false });
    expect(screen.getByLabelText('Type of mapping 3')).toHaveProperty('value', 'number');

    await userEvent.click(screen.getByLabelText('Remove mapping 2'));
    expect(report.mock.lastCall?.[0].map((m) => m.target)).toEqual(['id', 'score']);
    await userEvent.click(screen.getByRole('button', { name: 'Add mapping' }));
    expect(report.mock.lastCall?.[0]).toHaveLength(3);
  });
});
