import { Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { RelativeTime } from '../../../components/relative-time';
import { StateBadge } from '../../../components/state-badge';
import { useCanEdit } from '../../../lib/auth';
import { useConnections, type LatestRun } from '../api/get-connections';

/** The organisation's connections: their source, their table, their latest run (a failed one above all). */
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
                  <Table.Td>
                    <LatestRunCell run={c.latestRun} />
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

/** A connection's latest run, whatever its state: its state, when, and a link to it. */
export function LatestRunCell({ run }: { run: LatestRun }) {
  if (!run) {
    return (
      <Text size="sm" c="dimmed">
        never run
      </Text>
    );
  }
  return (
    <Group gap={6} wrap="nowrap" data-testid="latest-run">
      <StateBadge state={run.state} />
      <Anchor component={Link} to={`/runs/${encodeURIComponent(run.runId)}`} size="sm" style={{ whiteSpace: 'nowrap' }}>
        <RelativeTime iso={run.endedAt ?? run.startedAt ?? run.queuedAt} />
      </Anchor>
    </Group>
  );
}
