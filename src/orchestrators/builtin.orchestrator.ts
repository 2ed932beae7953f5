import type { Engine, RunView, TriggerRequest } from '../engine/index.js';
import type { Orchestrator } from './orchestrator.js';

/**
 * The default orchestrator: the engine in this process (and any `sluice
 * worker` sharing the database). Schedules need no extra step: the
 * scheduler reads them from the database at every tick.
 */
export class BuiltinOrchestrator implements Orchestrator {
  readonly kind = 'builtin' as const;

  constructor(private readonly engine: Engine) {}

  trigger(request: TriggerRequest): Promise<RunView> {
    return this.engine.trigger(request);
  }

  cancel(orgId: string, runId: string): Promise<RunView> {
    return this.engine.cancel(orgId, runId);
  }

  retry(orgId: string, runId: string): Promise<RunView> {
    return this.engine.retry(orgId, runId);
  }

  waitForRun(orgId: string, runId: string, options?: Parameters<Engine['waitForRun']>[2]): Promise<RunView> {
    return this.engine.waitForRun(orgId, runId, options);
  }

  async scheduleSaved(): Promise<void> {}

  async scheduleDeleted(): Promise<void> {}

  async health(): Promise<{ ok: boolean; detail: string }> {
    const workers = this.engine.pool.activeCount;
    return { ok: true, detail: `builtin engine; ${workers} task(s) running in this process` };
  }
}
