/** "3 min ago", "2 h ago": how long since an instant, for freshness and run lists. */
export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  return `${duration(seconds)} ago`;
}

/** "42 s", "3 min", "2 h 5 min", "3 d". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) {
    const m = Math.floor((seconds % 3600) / 60);
    return `${Math.floor(seconds / 3600)} h${m ? ` ${m} min` : ''}`;
  }
  return `${Math.floor(seconds / 86400)} d`;
}

/** The time a task or run took, or has taken so far. */
export function elapsed(start: string | null | undefined, end: string | null | undefined): string {
  if (!start) return '—';
  const ms = (end ? new Date(end).getTime() : Date.now()) - new Date(start).getTime();
  return ms < 1000 ? `${ms} ms` : duration(ms / 1000);
}

export const dateTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

export const count = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : n.toLocaleString());

/**
 * "512 bytes", "1.5 KB", "118 MB", "2.1 GB": a size as a person reads it, in
 * units of 1024 as SLUICE_MAX_UPLOAD_MB counts, with three significant digits.
 */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  // Three significant digits, so never "1020 KB": a value that shows as 1000 or more goes to the next unit.
  while (Number(value.toPrecision(3)) >= 1000 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = Number(value.toPrecision(3));
  return `${shown.toLocaleString()} ${units[unit]}`;
}
