import { Tooltip } from '@mantine/core';
import { useNow } from '../lib/clock';
import { ago, dateTime } from '../lib/format';

/** "3 min ago", kept current as time passes; the date and time itself on hover. */
export function RelativeTime({ iso }: { iso: string | null | undefined }) {
  // Re-rendered at each tick of the shared clock, so the words follow the time.
  const now = useNow();
  if (!iso) return <>—</>;
  return (
    <Tooltip label={dateTime(iso)} openDelay={300}>
      <time dateTime={iso}>{ago(iso, Math.max(now, Date.now()))}</time>
    </Tooltip>
  );
}
