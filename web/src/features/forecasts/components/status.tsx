import { Badge } from '@mantine/core';
import type { PlanStatus } from '../api/forecasts';

const COLORS: Record<PlanStatus, string> = { reorder_now: 'red', ok: 'green', overstock: 'yellow', no_demand: 'gray', too_short: 'gray' };
export const STATUS_LABELS: Record<PlanStatus, string> = { reorder_now: 'Reorder now', ok: 'OK', overstock: 'Overstock', no_demand: 'No demand', too_short: 'Too short' };

/** An item's plan status as a coloured badge. */
export function PlanStatusBadge({ status }: { status: string }) {
  return (
    <Badge color={COLORS[status as PlanStatus] ?? 'gray'} variant="light" tt="none">
      {STATUS_LABELS[status as PlanStatus] ?? status}
    </Badge>
  );
}
