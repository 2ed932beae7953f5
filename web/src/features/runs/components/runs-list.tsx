import { Anchor, Chip, Group, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { RelativeTime } from '../../../components/relative-time';
import { StateBadge } from '../../../components/state-badge';
import { elapsed } from '../../../lib/format';
import { useRuns, type RunState } from '../api/get-runs';

const STATES: (RunState | 'all')[] = ['all', 'queued', 'running', 'success', 'failed', 'cancelled'];

/** The runs of the organisation, filtered by state (kept in the URL: ?state=failed). */
export function RunsList() {
  const [params, setParams] = useSearchParams();
  const state = (STATES.includes(params.get('state') as RunState) ? params.get('state') : 'all') as RunState | 'all';
  const runs = useRuns(state === 'all' ? { limit: 100 } : { state, limit: 100 });
  const list = runs.data?.runs ?? [];
  return (
    <Stack>
      <Title order={2}>Runs</Title>
      {/* Chips wrap onto a second line on a phone, where a segmented control would be cut off. */}
      <Chip.Group multiple={false} value={state} onChange={(value) => setParams(value === 'all' ? {} : { state: value })}>
        <Group gap="xs" wrap="wrap" role="radiogroup" aria-label="Filter by state">
          {STATES.map((s) => (
            <Chip key={s} value={s} size="sm">
              {s}
            </Chip>
          ))}
        </Group>
      </Chip.Group>
      <QueryState isPending={runs.isPending} error={runs.error} isEmpty={list.length === 0} empty={state === 'all' ? 'No runs yet.' : `No ${state} runs.`}>
        <RunsTable runs={list} />
      </QueryState>
    </Stack>
  );
}

/** A table of runs linking to their pages; the dashboard shows the latest few the same way. */
export function RunsTable({ runs }: { runs: { runId: string; dagId: string; state: string; trigger: string; queuedAt: string; startedAt: string | null; endedAt: string | null; conf: Record<string, unknown> }[] }) {
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Run</Table.Th>
            <Table.Th>Pipeline</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Trigger</Table.Th>
            <Table.Th>Queued</Table.Th>
            <Table.Th>Took</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runs.map((r) => (
            <Table.Tr key={r.runId}>
              <Table.Td>
                <Anchor component={Link} to={`/runs/${encodeURIComponent(r.runId)}`} ff="monospace" size="sm">
                  {r.runId.length > 24 ? `${r.runId.slice(0, 24)}…` : r.runId}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{r.dagId}</Text>
                {typeof r.conf.table === 'string' && (
                  <Text size="xs" c="dimmed">
                    table {r.conf.table}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <StateBadge state={r.state} />
              </Table.Td>
              <Table.Td>{r.trigger}</Table.Td>
              <Table.Td>
                <RelativeTime iso={r.queuedAt} />
              </Table.Td>
              <Table.Td>{elapsed(r.startedAt, r.endedAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
