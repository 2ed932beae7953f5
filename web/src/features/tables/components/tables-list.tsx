import { Anchor, Badge, Table, Title, Stack } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { RelativeTime } from '../../../components/relative-time';
import { count } from '../../../lib/format';
import { useTables } from '../api/get-tables';

/** Every table of the organisation: rows, rejected rows, columns, last change. */
export function TablesList() {
  const tables = useTables();
  const list = tables.data?.tables ?? [];
  return (
    <Stack>
      <Title order={2}>Tables</Title>
      <QueryState isPending={tables.isPending} error={tables.error} isEmpty={list.length === 0} empty="No tables yet: upload a file or run a connection to create one.">
        <Table.ScrollContainer minWidth={600}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Table</Table.Th>
                <Table.Th ta="right">Rows</Table.Th>
                <Table.Th ta="right">Rejected</Table.Th>
                <Table.Th>Columns</Table.Th>
                <Table.Th>Updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((t) => (
                <Table.Tr key={t.name}>
                  <Table.Td>
                    <Anchor component={Link} to={`/tables/${encodeURIComponent(t.name)}`}>
                      {t.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td ta="right">{count(t.rowCount)}</Table.Td>
                  <Table.Td ta="right">{t.rejectedCount > 0 ? <Badge color="orange">{count(t.rejectedCount)}</Badge> : 0}</Table.Td>
                  <Table.Td>{t.columns.length}</Table.Td>
                  <Table.Td>
                    <RelativeTime iso={t.updatedAt} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </QueryState>
    </Stack>
  );
}
