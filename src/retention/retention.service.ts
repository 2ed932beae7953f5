import type { AuditService } from '../audit/index.js';
import type { OrgsService } from '../auth/index.js';
import type { FilesService } from '../files/index.js';
import type { Logger } from '../logger.js';
import type { RawStore } from '../stores/raw/index.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface RetentionOptions {
  /** Raw records landed longer ago than this many days are deleted; 0 keeps them. */
  rawDays: number;
  /** Audit events older than this many days are deleted; 0 keeps them. */
  auditDays: number;
  /** The bytes of uploaded files loaded longer ago than this many days are deleted; 0 keeps them. */
  uploadDays: number;
}

export interface SweepResult {
  rawRecords: number;
  auditEvents: number;
  /** Uploaded files whose bytes were deleted. */
  uploads: number;
}

/**
 * Deletes what has outlived its retention (SLUICE_RAW_RETENTION_DAYS,
 * SLUICE_AUDIT_RETENTION_DAYS, SLUICE_UPLOAD_RETENTION_DAYS), organisation
 * by organisation, every hour in
 * `sluice start` and `sluice worker`. Any number of processes may sweep: the
 * deletions are idempotent. Finished runs have their own retention in the
 * engine (SLUICE_RUN_RETENTION_DAYS).
 */
export class RetentionService {
  readonly #deps: { orgs: OrgsService; raw: RawStore; audit: AuditService; files: FilesService; logger: Logger };
  readonly #options: RetentionOptions;
  #first: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(deps: { orgs: OrgsService; raw: RawStore; audit: AuditService; files: FilesService; logger: Logger }, options: RetentionOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  /** Whether anything is ever deleted. */
  get enabled(): boolean {
    return this.#options.rawDays > 0 || this.#options.auditDays > 0 || this.#options.uploadDays > 0;
  }

  /** One pass: what is older than its retention at `now` is deleted. */
  async sweep(now: Date = new Date()): Promise<SweepResult> {
    const { orgs, raw, audit, files } = this.#deps;
    const result: SweepResult = { rawRecords: 0, auditEvents: 0, uploads: 0 };
    const { rawDays, auditDays, uploadDays } = this.#options;
    if (!this.enabled) return result;
    const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
    for (const org of await orgs.list()) {
      if (rawDays > 0) result.rawRecords += await raw.deleteOlderThan(org.id, ago(rawDays));
      if (auditDays > 0) result.auditEvents += await audit.deleteOlderThan(org.id, ago(auditDays));
      if (uploadDays > 0) result.uploads += await files.purgeLoadedBefore(org.id, ago(uploadDays));
    }
    // Events of no organisation (a login with an unknown e-mail, say).
    if (auditDays > 0) result.auditEvents += await audit.deleteOlderThan(null, ago(auditDays));
    return result;
  }

  /** Sweeps a minute after start, then every hour; failures are logged and tried again next hour. */
  start(): void {
    if (!this.enabled || this.#timer) return;
    const run = () => {
      this.#running ??= this.sweep()
        .then((r) => {
          if (r.rawRecords > 0 || r.auditEvents > 0 || r.uploads > 0) this.#deps.logger.info({ ...r, retention: this.#options }, 'deleted what was past its retention');
        })
        .catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'retention sweep failed; trying again in an hour'))
        .finally(() => {
          this.#running = undefined;
        });
    };
    const first = setTimeout(run, 60_000);
    first.unref();
    this.#timer = setInterval(run, HOUR_MS);
    this.#timer.unref();
    this.#first = first;
  }

  /** Stops the timers and waits for a sweep under way. */
  async stop(): Promise<void> {
    clearTimeout(this.#first);
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
