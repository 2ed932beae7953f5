import { lazy, Suspense } from 'react';
import { Skeleton } from '@mantine/core';

// Recharts (about 110 kB gzipped) loads with the first table page, not with the app.
const Chart = lazy(() => import('./load-history-chart').then((m) => ({ default: m.LoadHistoryChart })));

/** Rows loaded (and rejected) per recent load run of one table. */
export function LoadHistoryChart({ table }: { table: string }) {
  return (
    <Suspense fallback={<Skeleton h={260} aria-label="Loading the chart" />}>
      <Chart table={table} />
    </Suspense>
  );
}
