import { Anchor, Group, Stack, Title } from '@mantine/core';
import { Link } from 'react-router';
import { QueryState } from '../../../components/query-state';
import { useRuns } from '../api/get-runs';
import { RunsTable } from './runs-list';

/** The latest runs, for the dashboard. */
export function RecentRuns({ limit = 10 }: { limit?: number }) {
  const runs = useRuns({ limit });
  const list = runs.data?.runs ?? [];
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={3}>Recent runs</Title>
        <Anchor component={Link} to="/runs" size="sm">
          All runs
        </Anchor>
      </Group>
      <QueryState isPending={runs.isPending} error={runs.error} isEmpty={list.length === 0} empty="No runs yet.">
        <RunsTable runs={list} />
      </QueryState>
    </Stack>
  );
}
