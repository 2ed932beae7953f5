import { useState } from 'react';
import { Anchor, Badge, Code, Group, Pagination, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { count, dateTime } from '../../../lib/format';
import { useTables } from '../api/get-tables';
import { useTableRows } from '../api/get-table-rows';
import { useRejectedRows } from '../api/get-rejected-rows';

const PAGE = 50;

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

/** One table: its columns and types, its rows page by page, and the rows it refused with their reasons. */
export function TablePage({ name }: { name: string }) {
  const tables = useTables();
  const info = tables.data?.tables.find((t) => t.name === name);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} style={{ overflowWrap: 'anywhere' }}>
          <Anchor component={Link} to="/tables" c="dimmed" inherit>
            Tables
          </Anchor>{' '}
          / {name}
        </Title>
        {info && (
          <Text c="dimmed">
            {count(info.rowCount)} rows · {count(info.rejectedCount)} rejected · updated {dateTime(info.updatedAt)}
          </Text>
        )}
      </Group>
      <QueryState isPending={tables.isPending} error={tables.error} isEmpty={!info} empty={`There is no table "${name}".`}>
        {info && (
          <>
            <Group gap="xs" aria-label="Columns">
              {info.columns.map((c) => (
                <Badge key={c.name} variant="default" tt="none">
                  {c.name}: <Text span c="dimmed" size="xs">{c.type}</Text>
                </Badge>
              ))}
            </Group>
            <Tabs defaultValue="rows" keepMounted={false}>
              <Tabs.List>
                <Tabs.Tab value="rows">Rows ({count(info.rowCount)})</Tabs.Tab>
                <Tabs.Tab value="rejected">Rejected ({count(info.rejectedCount)})</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="rows" pt="md">
                <Rows table={name} columns={info.columns.map((c) => c.name)} />
              </Tabs.Panel>
              <Tabs.Panel value="rejected" pt="md">
                <Rejected table={name} />
              </Tabs.Panel>
            </Tabs>
          </>
        )}
      </QueryState>
    </Stack>
  );
}

function Rows({ table, columns }: { table: string; columns: string[] }) {
  const [page, setPage] = useState(1);
  const rows = useTableRows(table, { limit: PAGE, offset: (page - 1) * PAGE });
  const total = rows.data?.total ?? 0;
  return (
    <QueryState isPending={rows.isPending} error={rows.error} isEmpty={total === 0} empty="This table has no rows.">
      <Table.ScrollContainer minWidth={500}>
        <Table striped withTableBorder data-testid="table-rows">
          <Table.Thead>
            <Table.Tr>
              {columns.map((c) => (
                <Table.Th key={c}>{c}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.data?.rows.map((row, i) => (
              <Table.Tr key={i}>
                {columns.map((c) => (
                  <Table.Td key={c}>{cell(row[c])}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} total={total} onChange={setPage} />
    </QueryState>
  );
}

function Rejected({ table }: { table: string }) {
  const [page, setPage] = useState(1);
  const rows = useRejectedRows(table, { limit: PAGE, offset: (page - 1) * PAGE });
  const total = rows.data?.total ?? 0;
  return (
    <QueryState isPending={rows.isPending} error={rows.error} isEmpty={total === 0} empty="No rejected rows: every row loaded.">
      <Table.ScrollContainer minWidth={600}>
        <Table striped withTableBorder data-testid="rejected-rows">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Row</Table.Th>
              <Table.Th>Field</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Record</Table.Th>
              <Table.Th>Run</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.data?.rows.map((r, i) => (
              <Table.Tr key={i}>
                <Table.Td>{r.rowNumber ?? '—'}</Table.Td>
                <Table.Td>{r.field ?? '—'}</Table.Td>
                <Table.Td>{r.reason}</Table.Td>
                <Table.Td>
                  <Code>{cell(r.raw)}</Code>
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

function Pager({ page, total, onChange }: { page: number; total: number; onChange: (page: number) => void }) {
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
