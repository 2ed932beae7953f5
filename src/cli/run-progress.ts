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

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = true) {
    this.#stream = stream;
    this.#tty = enabled && Boolean(stream.isTTY);
    if (!enabled) this.update = () => undefined;
  }

  update(run: RunView): void {
    if (this.#tty) {
      const line = `${run.dagId} ${run.state}: ${run.tasks.map((t) => this.#task(t)).join(' · ')}  ${Math.round((Date.now() - this.#started) / 1000)} s`;
      if (line !== this.#last) {
        this.#stream.write(`\r\x1b[2K${line.slice(0, (this.#stream.columns || 120) - 1)}`);
        this.#last = line;
      }
      return;
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
    return `${t.taskId}${mark ? ` ${mark}` : ''}${t.rowsOut !== null && t.state === 'success' ? ` ${t.rowsOut}` : ''}`;
  }
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
