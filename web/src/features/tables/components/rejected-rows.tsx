import { useState } from 'react';
import { Anchor, Code, Group, Pagination, Table, Text, Tooltip } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { columnNameOf } from '../../../lib/column-name';
import { count } from '../../../lib/format';
import { useRejectedRows, type RejectedRow } from '../api/get-rejected-rows';

export const PAGE = 50;

export const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

/**
 * Where a rejected row came from, as the API numbers it (`rowNumber`). A
 * file's records are numbered from 1 after the header row, blank lines not
 * counted (src/connectors/file/file.schema.ts): a data row, not a line. A
 * connection's records are numbered from 1 in the order its run read them
 * (src/ingest/land.ts); such a row has its run as its source.
 */
export function whereOf(row: Pick<RejectedRow, 'rowNumber' | 'runId' | 'sourceId'>): string {
  if (row.rowNumber === null) return '—';
  return row.sourceId !== null && row.sourceId === row.runId ? `record ${count(row.rowNumber)} of the run` : `data row ${count(row.rowNumber)}`;
}

/**
 * A record's fields in the order of the table's columns, which is the
 * file's column order (the stored record's own key order is not kept);
 * fields the table has no column for come last, as they are.
 */
export function fieldsInOrder(record: Record<string, unknown>, columns: string[]): [string, unknown][] {
  const position = new Map(columns.map((c, i) => [c, i]));
  const rank = (key: string) => position.get(columnNameOf(key)) ?? position.get(key) ?? Number.MAX_SAFE_INTEGER;
  return Object.entries(record)
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) => rank(a.entry[0]) - rank(b.entry[0]) || a.i - b.i)
    .map(({ entry }) => entry);
}

/** The rows a table refused: where each came from, the field at fault, why, and the record with that field marked. */
export function RejectedRows({ table, columns }: { table: string; columns: string[] }) {
  const [page, setPage] = useState(1);
  const rows = useRejectedRows(table, { limit: PAGE, offset: (page - 1) * PAGE });
  const total = rows.data?.total ?? 0;
  return (
    <QueryState isPending={rows.isPending} error={rows.error} isEmpty={total === 0} empty="No rejected rows: every row loaded.">
      <Text size="xs" c="dimmed" mb="xs" data-testid="rejected-legend">
        Data row N is the file&apos;s Nth record, counted from 1 after its header row, blank lines left out: in a CSV it is line N + 1 when no blank line or
        cell spanning lines comes before it. Record N is the Nth record a connection&apos;s run read.
      </Text>
      <Table.ScrollContainer minWidth={700}>
        <Table striped withTableBorder data-testid="rejected-rows">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Where</Table.Th>
              <Table.Th>Field</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Record</Table.Th>
              <Table.Th>Run</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.data?.rows.map((r, i) => (
              <Table.Tr key={i}>
                <Table.Td style={{ whiteSpace: 'nowrap' }} data-testid="rejected-where">
                  {whereOf(r)}
                </Table.Td>
                <Table.Td ff="monospace">{r.field ?? '—'}</Table.Td>
                <Table.Td>{r.reason}</Table.Td>
                <Table.Td>
                  <Record raw={r.raw} columns={columns} field={r.field} />
                </Table.Td>
                <Table.Td>
                  {r.runId ? (
                    <Anchor component={Link} to={`/runs/${encodeURIComponent(r.runId)}`} size="sm">
                      run
                    </Anchor>
                  ) : (
                    '—'
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} total={total} onChange={setPage} />
    </QueryState>
  );
}

/** A record as `name: value` pairs in column order, the field at fault marked; a row the reader could not split, as its text. */
function Record({ raw, columns, field }: { raw: unknown; columns: string[]; field: string | null }) {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return <Code>{cell(raw)}</Code>;
  const fields = fieldsInOrder(raw as Record<string, unknown>, columns);
  return (
    <Text size="sm" ff="monospace" data-testid="rejected-record" style={{ overflowWrap: 'anywhere' }}>
      {fields.map(([key, value], i) => {
        const atFault = field !== null && (key === field || columnNameOf(key) === field);
        const pair = (
          <Text span inherit c={atFault ? 'red' : undefined} fw={atFault ? 700 : undefined} data-field={key}>
            {key}: {value === null ? 'empty' : cell(value)}
          </Text>
        );
        return (
          <span key={key}>
            {i > 0 && <Text span inherit c="dimmed"> · </Text>}
            {atFault ? <Tooltip label="the field at fault">{pair}</Tooltip> : pair}
          </span>
        );
      })}
    </Text>
  );
}

export function Pager({ page, total, onChange }: { page: number; total: number; onChange: (page: number) => void }) {
  const pages = Math.ceil(total / PAGE);
  if (pages <= 1) return null;
  return (
    <Group justify="space-between">
      <Text size="sm" c="dimmed">
        {count(total)} in all
      </Text>
      <Pagination value={page} onChange={onChange} total={pages} size="sm" />
    </Group>
  );
}
