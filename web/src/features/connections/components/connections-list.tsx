import { Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { useCanEdit } from '../../../lib/auth';
import { ago } from '../../../lib/format';
import { useConnections } from '../api/get-connections';

/** The organisation's connections: their source, their table, their last run. */
export function ConnectionsList() {
  const connections = useConnections();
  const canEdit = useCanEdit();
  const list = connections.data?.connections ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Connections</Title>
        {canEdit && (
          <Button component={Link} to="/connections/new">
            New connection
          </Button>
        )}
      </Group>
      <QueryState
        isPending={connections.isPending}
        error={connections.error}
        isEmpty={list.length === 0}
        empty={canEdit ? 'No connections yet: create one to read a REST API into a table.' : 'No connections yet.'}
      >
        <Table.ScrollContainer minWidth={700}>
          <Table striped highlightOnHover data-testid="connections-list">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Connection</Table.Th>
                <Table.Th>Source</Table.Th>
                <Table.Th>Table</Table.Th>
                <Table.Th>Last run</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((c) => (
                <Table.Tr key={c.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/connections/${encodeURIComponent(c.id)}`}>
                      {c.name}
                    </Anchor>
                    <Text size="xs" c="dimmed" ff="monospace">
                      {c.id}
                    </Text>
                  </Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>
                    <Text size="sm">
                      {c.apiConfig.method} {c.apiConfig.baseUrl}
                    </Text>
                  </Table.Td>
                  <Table.Td ff="monospace">{c.destination.table}</Table.Td>
                  <Table.Td>{ago(c.lastRunAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </QueryState>
    </Stack>
  );
}
