import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Paper, Stack, Text, Title } from '@mantine/core';
import { QueryState } from '../../../components/query-state';
import { useRuns, type Run } from '../api/get-runs';

/** The DAG that loads a table's landed files into its typed table. */
export const LOAD_DAG = 'enhanced_mongo_to_postgres_dag';
const LOAD_TASK = 'load_to_postgres';

/** One bar per finished load run of `table`, oldest first: rows loaded and rejected. */
export function loadHistory(runs: Run[], table: string, max = 20) {
  return runs
    .filter((r) => r.conf.table === table && (r.state === 'success' || r.state === 'failed'))
    .slice(0, max)
    .reverse()
    .map((r) => {
      const load = r.tasks.find((t) => t.taskId === LOAD_TASK);
      return {
        run: new Date(r.startedAt ?? r.queuedAt).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
        loaded: load?.rowsOut ?? 0,
        rejected: load?.rowsRejected ?? 0,
      };
    });
}

/** Rows loaded (and rejected) per recent load run of one table. */
export function LoadHistoryChart({ table }: { table: string }) {
  const runs = useRuns({ dagId: LOAD_DAG, limit: 200 });
  const data = loadHistory(runs.data?.runs ?? [], table);
  return (
    <Paper withBorder p="md" data-testid="load-history">
      <Stack gap="xs">
        <Title order={4}>Rows per load run</Title>
        <QueryState isPending={runs.isPending} error={runs.error} isEmpty={data.length === 0} empty="No finished load runs for this table yet.">
          <BarChart
            h={200}
            data={data}
            dataKey="run"
            type="stacked"
            series={[
              { name: 'loaded', label: 'Loaded', color: 'teal.6' },
              { name: 'rejected', label: 'Rejected', color: 'red.6' },
            ]}
            withLegend
            tickLine="y"
            maxBarWidth={40}
            yAxisProps={{ allowDecimals: false }}
          />
          <Text size="xs" c="dimmed">
            The last {data.length} load {data.length === 1 ? 'run' : 'runs'}, oldest first.
          </Text>
        </QueryState>
      </Stack>
    </Paper>
  );
}
