import { Alert, Button, Group, Paper, Progress, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { Anchor } from '@mantine/core';
import { StateBadge } from '../../../components/state-badge';
import { ago, count } from '../../../lib/format';
import { useRunForecast, type TableForecast } from '../api/forecasts';

/** The table's last forecast run, live while it runs (items done / total), and the Run forecast button. */
export function RunPanel({ table, forecast, canRun }: { table: string; forecast: TableForecast | undefined; canRun: boolean }) {
  const run = useRunForecast(table);
  const last = forecast?.lastRun ?? null;
  const running = last !== null && (last.state === 'queued' || last.state === 'running');
  const total = last?.itemsTotal ?? null;
  return (
    <Paper withBorder p="md" data-testid="forecast-run">
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Text fw={500}>Last forecast</Text>
            {last ? (
              <>
                <StateBadge state={last.state} />
                <Anchor component={Link} to={`/runs/${encodeURIComponent(last.runId)}`} size="sm">
                  {ago(last.endedAt ?? last.startedAt ?? last.queuedAt)}
                </Anchor>
              </>
            ) : (
              <Text c="dimmed">none yet</Text>
            )}
          </Group>
          <Button size="xs" onClick={() => run.mutate()} loading={run.isPending} disabled={!canRun || running}>
            Run forecast
          </Button>
        </Group>
        {last && (running || last.state === 'success') && (
          <Stack gap={4}>
            <Progress value={total ? (100 * last.itemsDone) / total : 0} animated={running} aria-label="Items forecast" />
            <Text size="xs" c="dimmed" data-testid="forecast-progress">
              {count(last.itemsDone)} of {total === null ? '…' : count(total)} items forecast
            </Text>
          </Stack>
        )}
        {last?.error && (
          <Alert color="red" py={4}>
            {last.error}
          </Alert>
        )}
        {run.error && (
          <Alert color="red" py={4} role="alert">
            The forecast did not start: {run.error.message}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}
