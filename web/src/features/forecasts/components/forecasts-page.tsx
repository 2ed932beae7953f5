import { Anchor, Group, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { StateBadge } from '../../../components/state-badge';
import { ago, count } from '../../../lib/format';
import { useForecasts } from '../api/forecasts';

/** Every table whose forecast is on: its last run (live), its items and how many of them to reorder now. */
export function ForecastsPage() {
  const forecasts = useForecasts();
  const tables = forecasts.data?.tables ?? [];
  return (
    <Stack>
      <Title order={2}>Forecasts</Title>
      <Text c="dimmed">
        What to reorder, and when: each table whose forecast is on is forecast after every load. Open a table for its plan and the chart of each item.
      </Text>
      <QueryState
        isPending={forecasts.isPending}
        error={forecasts.error}
        isEmpty={tables.length === 0}
        empty="No table has its forecast on yet. Turn it on in a table's Forecast tab, or upload a sales-and-stock file with the field inventory=true."
      >
        <Table.ScrollContainer minWidth={700}>
          <Table striped withTableBorder data-testid="forecasts-list">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Table</Table.Th>
                <Table.Th>Last run</Table.Th>
                <Table.Th>Items</Table.Th>
                <Table.Th>Reorder now</Table.Th>
                <Table.Th>OK</Table.Th>
                <Table.Th>Overstock</Table.Th>
                <Table.Th>No demand / too short</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tables.map((t) => {
                const run = t.lastRun;
                const running = run !== null && (run.state === 'queued' || run.state === 'running');
                const c = t.published?.counts;
                return (
                  <Table.Tr key={t.table}>
                    <Table.Td>
                      <Anchor component={Link} to={`/tables/${encodeURIComponent(t.table)}?tab=forecast`}>
                        {t.table}
                      </Anchor>
                      {!t.enabled && (
                        <Text span c="dimmed" size="xs" ml={6}>
                          (off)
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {run ? (
                        <Group gap={6} wrap="nowrap">
                          <StateBadge state={run.state} />
                          <Text size="sm" c="dimmed">
                            {running ? `${count(run.itemsDone)} / ${run.itemsTotal === null ? '…' : count(run.itemsTotal)} items` : ago(run.endedAt ?? run.queuedAt)}
                          </Text>
                        </Group>
                      ) : (
                        <Text c="dimmed">none yet</Text>
                      )}
                    </Table.Td>
                    <Table.Td>{count(t.published?.items)}</Table.Td>
                    <Table.Td fw={c && c.reorder_now > 0 ? 700 : undefined} c={c && c.reorder_now > 0 ? 'red' : undefined}>
                      {count(c?.reorder_now)}
                    </Table.Td>
                    <Table.Td>{count(c?.ok)}</Table.Td>
                    <Table.Td>{count(c?.overstock)}</Table.Td>
                    <Table.Td>{c ? count(c.no_demand + c.too_short) : '—'}</Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </QueryState>
    </Stack>
  );
}
