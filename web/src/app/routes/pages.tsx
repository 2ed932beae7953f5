import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import { ForecastTab } from '../../features/forecasts';
import { FilesPage } from '../../features/files';
import { LoadHistoryChart, RunPage, RunsList } from '../../features/runs';
import { TablePage, TablesList } from '../../features/tables';

export const TablesRoute = () => <TablesList />;
export const TableRoute = () => {
  const { table = '' } = useParams();
  const [search] = useSearchParams();
  // The table (with its Forecast tab), then how many rows each of its recent load runs brought.
  return (
    <Stack key={table} gap="xl">
      <TablePage
        name={table}
        initialTab={search.get('tab') ?? undefined}
        extraTabs={[{ value: 'forecast', label: 'Forecast', panel: (columns) => <ForecastTab table={table} columns={columns} /> }]}
      />
      <LoadHistoryChart table={table} />
    </Stack>
  );
};
export const FilesRoute = () => <FilesPage />;
export const RunsRoute = () => <RunsList />;
export const RunRoute = () => {
  const { runId = '' } = useParams();
  return <RunPage key={runId} id={runId} />;
};
export const NotFoundRoute = () => (
  <Stack>
    <Title order={2}>Page not found</Title>
    <Text>
      There is nothing at this address. <Anchor component={Link} to="/">Back to the dashboard</Anchor>
    </Text>
  </Stack>
);
