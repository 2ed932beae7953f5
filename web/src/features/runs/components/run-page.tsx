import { lazy, Suspense, useCallback, useState } from 'react';
import { Alert, Anchor, Button, Code, Group, ScrollArea, Select, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { StateBadge } from '../../../components/state-badge';
import { useCanEdit } from '../../../lib/auth';
import { count, dateTime, elapsed } from '../../../lib/format';
import { isActive, useRun } from '../api/get-run';
import { useRunLogs } from '../api/get-run-logs';
import { useRunAction } from '../api/run-actions';

// React Flow (about 50 kB gzipped) loads with the first run page, not with the app.
const RunGraph = lazy(() => import('./run-graph').then((m) => ({ default: m.RunGraph })));

/** One run: its state, its DAG and tasks with row counts and durations, its logs; live while it runs. */
export function RunPage({ id }: { id: string }) {
  const run = useRun(id);
  // The task whose logs show; picked in the graph or in the logs panel.
  const [taskId, setTaskId] = useState<string | null>(null);
  const toggleTask = useCallback((picked: string) => setTaskId((current) => (current === picked ? null : picked)), []);
  const canEdit = useCanEdit();
  const cancel = useRunAction(id, 'cancel');
  const retry = useRunAction(id, 'retry');
  const data = run.data;
  const actionError = cancel.error ?? retry.error;
  return (
    <Stack>
      {/* A run id is one long word: it breaks anywhere rather than widen the page on a phone. */}
      <Title order={2} style={{ overflowWrap: 'anywhere' }}>
        <Anchor component={Link} to="/runs" c="dimmed" inherit>
          Runs
        </Anchor>{' '}
        / <Text span ff="monospace" inherit>{id}</Text>
      </Title>
      <QueryState isPending={run.isPending} error={run.error}>
        {data && (
          <>
            <Group justify="space-between">
              <Group>
                <StateBadge state={data.state} />
                <Text>{data.dagId}</Text>
                <Text c="dimmed" size="sm">
                  {data.trigger} · queued {dateTime(data.queuedAt)} · took {elapsed(data.startedAt, data.endedAt)}
                </Text>
                {data.externalUrl && (
                  <Anchor href={data.externalUrl} target="_blank" rel="noreferrer" size="sm">
                    Open in Airflow
                  </Anchor>
                )}
              </Group>
              {canEdit && (
                <Group>
                  {isActive(data.state) && (
                    <Button variant="default" color="red" onClick={() => cancel.mutate()} loading={cancel.isPending}>
                      Cancel run
                    </Button>
                  )}
                  {data.state === 'failed' && (
                    <Button onClick={() => retry.mutate()} loading={retry.isPending}>
                      Retry failed tasks
                    </Button>
                  )}
                </Group>
              )}
            </Group>
            {data.error && (
              <Alert color="red" title="The run failed">
                {data.error}
              </Alert>
            )}
            {actionError && <Alert color="red">{actionError.message}</Alert>}
            <Title order={3}>Tasks</Title>
            {data.tasks.length > 0 && (
              <Suspense fallback={<Skeleton h={200} aria-label="Loading the task graph" />}>
                <RunGraph tasks={data.tasks} selected={taskId} onSelect={toggleTask} />
              </Suspense>
            )}
            <Table.ScrollContainer minWidth={700}>
              <Table striped data-testid="run-tasks">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Task</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Try</Table.Th>
                    <Table.Th ta="right">Rows in</Table.Th>
                    <Table.Th ta="right">Rows out</Table.Th>
                    <Table.Th ta="right">Rejected</Table.Th>
                    <Table.Th>Took</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.tasks.map((t) => (
                    <Table.Tr key={t.taskId}>
                      <Table.Td>
                        <Text size="sm">{t.taskId}</Text>
                        {t.error && (
                          <Text size="xs" c="red">
                            {t.error}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <StateBadge state={t.state} />
                      </Table.Td>
                      <Table.Td>
                        {t.tryNumber}/{t.maxAttempts}
                      </Table.Td>
                      <Table.Td ta="right">{count(t.rowsIn)}</Table.Td>
                      <Table.Td ta="right">{count(t.rowsOut)}</Table.Td>
                      <Table.Td ta="right">{count(t.rowsRejected)}</Table.Td>
                      <Table.Td>{elapsed(t.startedAt, t.endedAt)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Logs id={id} tasks={data.tasks.map((t) => t.taskId)} taskId={taskId} onTaskChange={setTaskId} />
          </>
        )}
      </QueryState>
    </Stack>
  );
}

function Logs({ id, tasks, taskId, onTaskChange }: { id: string; tasks: string[]; taskId: string | null; onTaskChange: (taskId: string | null) => void }) {
  const logs = useRunLogs(id, taskId ?? undefined);
  const lines = logs.data?.logs ?? [];
  const complete = logs.data?.complete ?? false;
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={3}>Logs</Title>
        <Select aria-label="Task" placeholder="All tasks" clearable data={tasks} value={taskId} onChange={onTaskChange} w={260} />
      </Group>
      <QueryState isPending={logs.isPending} error={logs.error} isEmpty={lines.length === 0} empty={complete ? 'This run wrote no log lines.' : 'No log lines yet.'}>
        <ScrollArea.Autosize mah={400} type="auto">
          <Code block data-testid="run-logs" data-complete={complete}>
            {lines.map((l) => `${new Date(l.at).toLocaleTimeString()} ${l.level.padEnd(5)} [${l.taskId}#${l.tryNumber}] ${l.message}`).join('\n')}
          </Code>
        </ScrollArea.Autosize>
      </QueryState>
    </Stack>
  );
}
