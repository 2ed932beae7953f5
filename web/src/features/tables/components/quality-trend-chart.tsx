import '@mantine/charts/styles.css';
import { LineChart } from '@mantine/charts';
import { Text } from '@mantine/core';
import type { QualityReport } from '../api/get-quality';

/** One point per measured load, oldest first: the table's rows, what the load wrote and what it rejected. */
export function qualityTrend(reports: QualityReport[]) {
  return [...reports].reverse().map((r) => ({
    load: new Date(r.createdAt).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
    rows: r.metrics.rows,
    loaded: r.metrics.loaded,
    rejected: r.metrics.rejected,
  }));
}

/** The trend of a table's quality over its loads. */
export function QualityTrendChart({ reports }: { reports: QualityReport[] }) {
  const data = qualityTrend(reports);
  return (
    <>
      <LineChart
        h={220}
        data={data}
        dataKey="load"
        series={[
          { name: 'rows', label: 'Rows in the table', color: 'blue.6' },
          { name: 'loaded', label: 'Loaded', color: 'teal.6' },
          { name: 'rejected', label: 'Rejected', color: 'red.6' },
        ]}
        withLegend
        withDots
        curveType="linear"
        yAxisProps={{ allowDecimals: false }}
      />
      <Text size="xs" c="dimmed">
        {data.length} {data.length === 1 ? 'load' : 'loads'}, oldest first.
      </Text>
    </>
  );
}
