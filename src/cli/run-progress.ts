import type { RunView } from '../engine/index.js';

/**
 * Shows a run as it goes: on a terminal one line redrawn in place
 * (`extract ✓ 120 · load ⠿ · health_check · send_notification  12 s`),
 * otherwise one plain line each time a task changes state, so logs and CI
 * output stay readable.
 */
export class RunProgress {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #started = Date.now();
  #last = '';
  #lastStates = new Map<string, string>();
  #frame = 0;
  #lastPlainProgress = 0;

  /** A line about the whole run (items forecast of all), shown after the tasks. */
  readonly #summary: ((run: RunView) => string | undefined) | undefined;
  #lastSummary = '';

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = true, summary?: (run: RunView) => string | undefined) {
    this.#stream = stream;
    this.#summary = summary;
    this.#tty = enabled && Boolean(stream.isTTY);
    if (!enabled) this.update = () => undefined;
  }

  update(run: RunView): void {
    if (this.#tty) {
      const summary = this.#summary?.(run);
      const line = `${run.dagId} ${run.state}: ${summary ? `${summary} · ` : ''}${run.tasks.filter((t) => !(summary && t.state === 'pending')).map((t) => this.#task(t)).join(' · ')}  ${Math.round((Date.now() - this.#started) / 1000)} s`;
      if (line !== this.#last) {
        this.#stream.write(`\r\x1b[2K${line.slice(0, (this.#stream.columns || 120) - 1)}`);
        this.#last = line;
      }
      return;
    }
    const summary = this.#summary?.(run);
    if (summary && summary !== this.#lastSummary && Date.now() - this.#lastPlainProgress >= 5000) {
      this.#lastPlainProgress = Date.now();
      this.#lastSummary = summary;
      this.#stream.write(`${run.runId}: ${summary}\n`);
    }
    const running = run.tasks.find((t) => t.state === 'running' && t.progress);
    if (!summary && running && Date.now() - this.#lastPlainProgress >= 5000) {
      this.#lastPlainProgress = Date.now();
      this.#stream.write(`${run.runId} ${running.taskId}: ${describeProgress(running)}\n`);
    }
    for (const t of run.tasks) {
      const key = `${t.state}/${t.tryNumber}`;
      if (this.#lastStates.get(t.taskId) === key || t.state === 'pending') continue;
      this.#lastStates.set(t.taskId, key);
      const rows = t.rowsOut === null ? '' : ` rows=${t.rowsOut}${t.rowsRejected ? ` rejected=${t.rowsRejected}` : ''}`;
      this.#stream.write(`${run.runId} ${t.taskId}: ${t.state}${t.tryNumber > 1 ? ` (try ${t.tryNumber})` : ''}${rows}${t.error && t.state !== 'running' ? ` — ${t.error}` : ''}\n`);
    }
  }

  /** Ends the redrawn line so that what follows starts on its own. */
  done(): void {
    if (this.#tty && this.#last) this.#stream.write('\n');
  }

  #task(t: RunView['tasks'][number]): string {
    const spinner = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
    const mark =
      t.state === 'success' ? '✓' : t.state === 'running' ? spinner[this.#frame++ % spinner.length]! : t.state === 'failed' || t.state === 'upstream_failed' ? '✗' : t.state === 'up_for_retry' ? '↻' : t.state === 'cancelled' ? '⊘' : '';
    const detail = t.state === 'running' && t.progress ? ` ${describeProgress(t)}` : t.rowsOut !== null && t.state === 'success' ? ` ${t.rowsOut}` : '';
    return `${t.taskId}${mark ? ` ${mark}` : ''}${detail}`;
  }
}

const num = new Intl.NumberFormat('en');

/** `120,000 rows · 45,000 rows/s · 42% · ETA 12 s` from a running task's progress. */
export function describeProgress(task: RunView['tasks'][number], now = Date.now()): string {
  const p = (task.progress ?? {}) as { rows?: number; bytes?: number; totalBytes?: number; message?: string; at?: string };
  const at = p.at ? new Date(p.at).getTime() : now;
  const elapsed = task.startedAt ? Math.max(0.001, (at - new Date(task.startedAt).getTime()) / 1000) : undefined;
  const parts: string[] = [];
  const items = p as { items?: number; totalItems?: number };
  if (items.items !== undefined) parts.push(`${num.format(items.items)}${items.totalItems !== undefined ? ` / ${num.format(items.totalItems)}` : ''} items`);
  if (p.rows !== undefined) parts.push(`${num.format(p.rows)} rows`);
  if (p.rows !== undefined && elapsed) parts.push(`${num.format(Math.round(p.rows / elapsed))} rows/s`);
  if (p.bytes !== undefined && p.totalBytes) {
    const share = Math.min(1, p.bytes / p.totalBytes);
    parts.push(`${Math.floor(share * 100)}%`);
    if (elapsed && share > 0 && share < 1) parts.push(`ETA ${Math.ceil((elapsed * (1 - share)) / share)} s`);
  }
  if (p.message) parts.push(p.message);
  return parts.join(' · ');
}

/** The summary printed when a run ended. */
export function describeRun(run: RunView): string {
  const seconds = run.startedAt && run.endedAt ? ` in ${((new Date(run.endedAt).getTime() - new Date(run.startedAt).getTime()) / 1000).toFixed(1)} s` : '';
  const lines = [`run ${run.runId} of ${run.dagId}: ${run.state}${seconds}`];
  for (const t of run.tasks) {
    const counts = [t.rowsIn !== null ? `in ${t.rowsIn}` : '', t.rowsOut !== null ? `out ${t.rowsOut}` : '', t.rowsRejected ? `rejected ${t.rowsRejected}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${t.taskId.padEnd(18)} ${t.state.padEnd(15)} try ${t.tryNumber}${counts ? `  ${counts}` : ''}${t.error ? `\n    ${t.error}` : ''}`);
  }
  return lines.join('\n');
}
