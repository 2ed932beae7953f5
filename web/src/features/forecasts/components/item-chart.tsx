import '@mantine/charts/styles.css';
import { CompositeChart } from '@mantine/charts';
import { Group, Paper, Stack, Text, Title } from '@mantine/core';
import { QueryState } from '../../../components/query-state';
import { count } from '../../../lib/format';
import { useForecastItem, type ForecastItem } from '../api/forecasts';
import { PlanStatusBadge } from './status';

/** How many days of history the chart shows before the forecast. */
const HISTORY_DAYS = 90;

interface Point {
  date: string;
  sold?: number;
  forecast?: number;
  lower?: number;
  upper?: number;
  stock?: number;
}

/**
 * One line per date: the recent history (units sold), then the forecast
 * with its 80 % band (left axis), and the stock on hand as forecast with
 * the reorder point as a reference line (right axis: stock below it means
 * order now).
 */
export function chartPoints(item: Pick<ForecastItem, 'history' | 'forecast' | 'projectedStock'>, historyDays = HISTORY_DAYS): Point[] {
  const points = new Map<string, Point>();
  const at = (date: string) => points.get(date) ?? points.set(date, { date }).get(date)!;
  for (const h of item.history.slice(-historyDays)) at(h.date).sold = h.quantity;
  for (const f of item.forecast) Object.assign(at(f.period), { forecast: f.forecast, lower: f.lower, upper: f.upper });
  for (const s of item.projectedStock) at(s.period).stock = s.onHand;
  return [...points.values()].sort((a, b) => a.date.localeCompare(b.date));
}

const num = (v: unknown) => (typeof v === 'number' ? v : null);

/** One item's chart: history, forecast, band, projected stock and reorder point; the plan's figures beside it. */
export function ItemChart({ table, itemKey }: { table: string; itemKey: string }) {
  const item = useForecastItem(table, itemKey);
  const plan = item.data?.plan ?? {};
  const reorderPoint = num(plan.reorder_point);
  return (
    <Paper withBorder p="md" data-testid="forecast-item-chart">
      <QueryState isPending={item.isPending} error={item.error}>
        {item.data && (
          <Stack gap="xs">
            <Group justify="space-between">
              <Title order={4}>{Object.values(item.data.item).join(' · ')}</Title>
              <PlanStatusBadge status={String(plan.status)} />
            </Group>
            <Text size="sm" c="dimmed">
              On hand {count(num(plan.on_hand))} · reorder point {count(reorderPoint)} · order {count(num(plan.order_quantity))} · runs out{' '}
              {typeof plan.stockout_date === 'string' ? plan.stockout_date : 'not within the forecast'} · model {String(plan.model ?? '—')}
            </Text>
            <CompositeChart
              h={280}
              data={chartPoints(item.data) as unknown as Record<string, unknown>[]}
              dataKey="date"
              curveType="linear"
              connectNulls={false}
              withLegend
              withDots={false}
              series={[
                { name: 'sold', label: 'Sold', color: 'blue.6', type: 'line' },
                { name: 'forecast', label: 'Forecast', color: 'orange.6', type: 'line' },
                { name: 'lower', label: 'Band: low (10 %)', color: 'orange.3', type: 'line', strokeDasharray: '4 4' },
                { name: 'upper', label: 'Band: high (90 %)', color: 'orange.3', type: 'line', strokeDasharray: '4 4' },
                // Stock is counted in other magnitudes than a day's sales: its own axis, on the right.
                { name: 'stock', label: 'Stock (forecast)', color: 'teal.6', type: 'line', yAxisId: 'right' },
              ]}
              withRightYAxis
              yAxisLabel="Units per period"
              rightYAxisLabel="Stock on hand"
              referenceLines={reorderPoint === null ? [] : [{ y: reorderPoint, yAxisId: 'right', label: `Reorder point ${count(reorderPoint)}`, color: 'red.6' }]}
            />
            <Text size="xs" c="dimmed">
              The last {Math.min(HISTORY_DAYS, item.data.history.length)} days sold, then {item.data.forecast.length} periods forecast with the 80 % band, and the stock on hand as the forecast uses it up.
            </Text>
          </Stack>
        )}
      </QueryState>
    </Paper>
  );
}
