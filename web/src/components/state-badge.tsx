import { Badge } from '@mantine/core';

const COLORS: Record<string, string> = {
  success: 'green',
  loaded: 'green',
  running: 'blue',
  queued: 'gray',
  pending: 'gray',
  uploaded: 'gray',
  landed: 'blue',
  up_for_retry: 'yellow',
  failed: 'red',
  upstream_failed: 'orange',
  cancelled: 'dark',
  skipped: 'gray',
};

/** A run's, task's or file's state as a coloured badge. */
export function StateBadge({ state }: { state: string | null | undefined }) {
  if (!state) return <Badge color="gray" variant="outline">none</Badge>;
  return (
    <Badge color={COLORS[state] ?? 'gray'} variant="light">
      {state.replaceAll('_', ' ')}
    </Badge>
  );
}
