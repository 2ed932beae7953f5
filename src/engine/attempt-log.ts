import type { Logger } from '../logger.js';
import type { SecretMasker } from '../secrets/index.js';
import type { TaskLog } from './model.js';
import type { ClaimedAttempt, LogLine, RunStore } from './run-store.js';

/** Lines one attempt may store; a task that logs in a loop cannot fill the database. */
export const MAX_LOG_LINES = 5000;
const FLUSH_LINES = 200;
const FLUSH_MS = 1000;

/**
 * An attempt's log: each line goes to pino at once (with orgId, runId,
 * taskId, attempt) and to the database in small batches, so
 * `GET /api/runs/:id/logs` shows a running task's progress within a second.
 * The attempt's secrets are masked in both, message and data.
 */
export class AttemptLog implements TaskLog {
  #pending: LogLine[] = [];
  #written = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RunStore,
    private readonly claim: Pick<ClaimedAttempt, 'runId' | 'taskId' | 'tryNumber' | 'orgId'>,
    private readonly logger: Logger,
    private readonly secrets: SecretMasker,
  ) {}

  info(message: string, data?: Record<string, unknown>): void {
    this.#add('info', message, data);
  }

  warn(message: string, data?: Record<string, unknown>): void {
    this.#add('warn', message, data);
  }

  error(message: string, data?: Record<string, unknown>): void {
    this.#add('error', message, data);
  }

  #add(level: LogLine['level'], rawMessage: string, rawData: Record<string, unknown> | undefined): void {
    const message = this.secrets.mask(rawMessage);
    const data = this.secrets.maskDeep(rawData);
    this.logger[level](data ?? {}, message);
    if (this.#written >= MAX_LOG_LINES) return;
    this.#written += 1;
    const line: LogLine = { ...this.claim, level, message, data, at: new Date() };
    if (this.#written === MAX_LOG_LINES) {
      line.level = 'warn';
      line.message = `log truncated: this attempt wrote more than ${MAX_LOG_LINES} lines; the rest are in the server log only`;
      line.data = undefined;
    }
    this.#pending.push(line);
    if (this.#pending.length >= FLUSH_LINES) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /**
   * Hands over the lines not written yet (once the writes under way are
   * done), for the caller to store with the attempt's result in one
   * transaction; `flush` them instead if that cannot happen.
   */
  async take(): Promise<LogLine[]> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    const lines = this.#pending;
    this.#pending = [];
    return lines;
  }

  /** Writes what is pending; never throws (a log that cannot be stored must not fail the task). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(async () => {
      if (lines.length === 0) return;
      try {
        await this.store.appendLogs(lines);
      } catch (error) {
        this.logger.warn({ err: error, lines: lines.length }, 'could not store task log lines');
      }
    });
    return this.#flushing;
  }
}
