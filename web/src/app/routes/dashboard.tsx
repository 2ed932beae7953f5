import { Stack, Title } from '@mantine/core';
import { TableStatusGrid } from '../../features/dashboard';
import { RecentRuns } from '../../features/runs';

/** The dashboard composes features: each table's status, then the latest runs. */
export function DashboardRoute() {
  return (
    <Stack gap="xl">
      <Title order={2}>Dashboard</Title>
      <TableStatusGrid />
      <RecentRuns />
    </Stack>
  );
}
