import { Anchor, Badge, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { useConnectionNames } from '../api/get-connection-names';
import { useSchedules } from '../api/get-schedules';
import { inZone } from './schedule-editor';

/** Every schedule of the organisation: what it runs, when, and whether it is paused. */
export function SchedulesList() {
  const schedules = useSchedules();
  const names = useConnectionNames();
  const list = schedules.data?.schedules ?? [];
  return (
    <Stack>
      <Title order={2}>Schedules</Title>
      <QueryState
        isPending={schedules.isPending}
        error={schedules.error}
        isEmpty={list.length === 0}
        empty="No schedules yet: open a connection to schedule it."
      >
        <Table.ScrollContainer minWidth={700}>
          <Table striped highlightOnHover data-testid="schedules-list">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Connection</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Time zone</Table.Th>
                <Table.Th>Next run</Table.Th>
                <Table.Th>State</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((s) => (
                <Table.Tr key={s.scheduleId}>
                  <Table.Td>
                    <Anchor component={Link} to={`/connections/${encodeURIComponent(s.connectionId)}`}>
                      {names.get(s.connectionId) ?? s.connectionId}
                    </Anchor>
                    <Text size="xs" c="dimmed" ff="monospace">
                      {s.connectionId}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {s.description}
                    <Text size="xs" c="dimmed" ff="monospace">
                      {s.cronExpression}
                    </Text>
                  </Table.Td>
                  <Table.Td>{s.timezone}</Table.Td>
                  <Table.Td>{s.paused || !s.nextRuns[0] ? '—' : inZone(s.nextRuns[0], s.timezone)}</Table.Td>
                  <Table.Td>
                    <Badge color={s.paused ? 'gray' : 'teal'} variant="light">
                      {s.paused ? 'paused' : 'active'}
                    </Badge>
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
