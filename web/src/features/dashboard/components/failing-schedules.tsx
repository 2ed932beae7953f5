import { Anchor, Badge, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { RelativeTime } from '../../../components/relative-time';
import { useFailingSchedules } from '../api/get-failing-schedules';

/** Schedules whose connection's latest run failed: the connection, when it runs, the failed run and its error. */
export function FailingSchedules() {
  const failing = useFailingSchedules();
  const list = failing.data ?? [];
  return (
    <Stack gap="xs">
      <Title order={3}>Failing schedules</Title>
      <QueryState isPending={failing.isPending} error={failing.error} isEmpty={list.length === 0} empty="No failing schedules: every scheduled connection's latest run succeeded or has not run yet.">
        <Table.ScrollContainer minWidth={700}>
          <Table striped data-testid="failing-schedules">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Connection</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Failed run</Table.Th>
                <Table.Th>Error</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map(({ schedule: s, run }) => (
                <Table.Tr key={s.scheduleId}>
                  <Table.Td>
                    <Anchor component={Link} to={`/connections/${encodeURIComponent(s.connectionId)}`}>
                      {s.connectionId}
                    </Anchor>
                    {s.paused && (
                      <Badge color="gray" variant="light" ml="xs">
                        paused
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{s.description}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/runs/${encodeURIComponent(run.runId)}`} size="sm" aria-label={`Failed run of ${s.connectionId}`}>
                      <RelativeTime iso={run.endedAt ?? run.queuedAt} />
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="red" lineClamp={2}>
                      {run.error ?? run.tasks.find((t) => t.error)?.error ?? 'failed'}
                    </Text>
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
