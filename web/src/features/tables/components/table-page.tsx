import { useState, type ReactNode } from 'react';
import { Alert, Anchor, Badge, Button, Group, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { count, dateTime } from '../../../lib/format';
import { useDownloadExport, type ExportPart } from '../api/download-export';
import { useTables } from '../api/get-tables';
import { useTableRows } from '../api/get-table-rows';
import { QualityPanel } from './quality-panel';
import { cell, PAGE, Pager, RejectedRows } from './rejected-rows';

/** One table: its columns and types, its rows page by page, the rows it refused with their reasons, its quality; downloads as CSV. */
/** A tab another feature adds to the table page (the Forecast tab); its panel gets the table's columns. */
export interface TableTab {
  value: string;
  label: string;
  panel: (columns: string[]) => ReactNode;
}

export function TablePage({ name, extraTabs = [], initialTab }: { name: string; extraTabs?: TableTab[]; initialTab?: string | undefined }) {
  const tables = useTables();
  const info = tables.data?.tables.find((t) => t.name === name);
  const columns = info?.columns.map((c) => c.name) ?? [];
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
            <Tabs defaultValue={initialTab && ['rows', 'rejected', 'quality', ...extraTabs.map((t) => t.value)].includes(initialTab) ? initialTab : 'rows'} keepMounted={false}>
              <Tabs.List>
                <Tabs.Tab value="rows">Rows ({count(info.rowCount)})</Tabs.Tab>
                <Tabs.Tab value="rejected">Rejected ({count(info.rejectedCount)})</Tabs.Tab>
                <Tabs.Tab value="quality">Quality</Tabs.Tab>
                {extraTabs.map((t) => (
                  <Tabs.Tab key={t.value} value={t.value}>
                    {t.label}
                  </Tabs.Tab>
                ))}
              </Tabs.List>
              <Tabs.Panel value="rows" pt="md">
                <Stack>
                  <Download table={name} part="rows" label="Download as CSV" disabled={info.rowCount === 0} />
                  <Rows table={name} columns={columns} />
                </Stack>
              </Tabs.Panel>
              <Tabs.Panel value="rejected" pt="md">
                <Stack>
                  <Download table={name} part="rejected" label="Download rejected rows as CSV" disabled={info.rejectedCount === 0} />
                  <RejectedRows table={name} columns={columns} />
                </Stack>
              </Tabs.Panel>
              <Tabs.Panel value="quality" pt="md">
                <QualityPanel table={name} columns={columns} />
              </Tabs.Panel>
              {extraTabs.map((t) => (
                <Tabs.Panel key={t.value} value={t.value} pt="md">
                  {t.panel(columns)}
                </Tabs.Panel>
              ))}
            </Tabs>
          </>
        )}
      </QueryState>
    </Stack>
  );
}

/** A button that saves the table (or its rejected rows) as a CSV file Excel opens as UTF-8. */
function Download({ table, part, label, disabled }: { table: string; part: ExportPart; label: string; disabled: boolean }) {
  const download = useDownloadExport();
  return (
    <Group gap="sm">
      <Button variant="default" size="xs" onClick={() => download.mutate({ table, part })} loading={download.isPending} disabled={disabled}>
        {label}
      </Button>
      {download.error && (
        <Alert color="red" py={4} role="alert">
          The download did not work: {download.error.message}
        </Alert>
      )}
    </Group>
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
