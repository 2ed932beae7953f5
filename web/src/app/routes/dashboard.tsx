import { Stack, Title } from '@mantine/core';
import { FailingSchedules, TableStatusGrid } from '../../features/dashboard';
import { RecentRuns } from '../../features/runs';

/** The dashboard composes features: each table's status, the schedules whose latest run failed, then the latest runs. */
export function DashboardRoute() {
  return (
    <Stack gap="xl">
      <Title order={2}>Dashboard</Title>
      <TableStatusGrid />
      <FailingSchedules />
      <RecentRuns />
    </Stack>
  );
}
