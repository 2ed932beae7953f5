import type { Actor } from '../auth/index.js';
import type { ConnectionsService } from '../connections/index.js';
import { FINISHED_RUN_STATES, type Engine, type LogView, type RunFilters, type RunView } from '../engine/index.js';
import type { Orchestrator } from '../orchestrators/index.js';
import { etlWorkflowDagId } from '../pipelines/index.js';
import type { ExecuteRunBody } from './runs.schema.js';
import { ensureConnection } from './workflow-config.js';

const actorName = (actor: Actor) => `${actor.type}:${actor.id ?? ''}`;

/**
 * How a run started by a caller is named: `manual` when a person started it
 * (Run now in the web app with their session, `sluice run`, the pipeline
 * commands), `api` when a script did (an API token). One action, one name,
 * whichever way it arrives.
 */
export function triggerOf(actor: Actor): 'manual' | 'api' {
  return actor.type === 'token' ? 'api' : 'manual';
}

/** Runs as the API and CLI see them: triggered through the orchestrator, read from the database. */
export class RunsService {
  constructor(
    private readonly engine: Engine,
    private readonly orchestrator: Orchestrator,
    private readonly connections: ConnectionsService,
  ) {}

  /** `POST /api/execute-run`: a run of the connection's DAG (the connection created from `workflowConfig` when absent). */
  async execute(orgId: string, body: ExecuteRunBody, actor: Actor): Promise<RunView> {
    const trigger = triggerOf(actor);
    const { connectionId } = await ensureConnection(this.connections, orgId, body, actor);
    return this.orchestrator.trigger({ orgId, dagId: etlWorkflowDagId(connectionId), trigger, conf: body.conf ?? {}, createdBy: actorName(actor) });
  }

  wait(orgId: string, runId: string, options?: Parameters<Orchestrator['waitForRun']>[2]): Promise<RunView> {
    return this.orchestrator.waitForRun(orgId, runId, options);
  }

  async list(orgId: string, filters: RunFilters): Promise<RunView[]> {
    return (await this.engine.runs.list(orgId, filters)).map((r) => this.withLink(r));
  }

  async get(orgId: string, runId: string): Promise<RunView> {
    return this.withLink(await this.engine.runs.get(orgId, runId));
  }

  /** Adds the link to the run in the orchestrator's UI (Airflow), when it has one. */
  private withLink(run: RunView): RunView & { externalUrl?: string } {
    const url = this.orchestrator.linkFor?.(run);
    return url ? { ...run, externalUrl: url } : run;
  }

  /**
   * A run's log lines, and whether they are complete: the run had ended
   * before the lines were read, and a task writes its last lines before it
   * reports its end, so no line will be added (until a retry). A viewer
   * follows a run's log until then, not merely until the run ends.
   */
  async logs(
    orgId: string,
    runId: string,
    options: { taskId?: string | undefined; afterId?: number | undefined; limit?: number | undefined },
  ): Promise<{ logs: LogView[]; complete: boolean }> {
    // The state first, the lines after it: lines read before an ended state was seen could miss the last ones.
    const { state } = await this.engine.runs.get(orgId, runId);
    const logs = await this.engine.runs.logs(orgId, runId, options);
    return { logs, complete: FINISHED_RUN_STATES.has(state) };
  }

  /** The latest run of each connection of the organisation, by connection id. */
  async latestByConnection(orgId: string): Promise<Map<string, RunView>> {
    return new Map((await this.engine.runs.latestByConnection(orgId)).map((r) => [r.connectionId, r.latest]));
  }

  /** The latest run of one connection, if it ever ran. */
  async latestOf(orgId: string, connectionId: string): Promise<RunView | undefined> {
    return (await this.engine.runs.list(orgId, { connectionId, limit: 1 }))[0];
  }

  cancel(orgId: string, runId: string): Promise<RunView> {
    return this.orchestrator.cancel(orgId, runId);
  }

  retry(orgId: string, runId: string): Promise<RunView> {
    return this.orchestrator.retry(orgId, runId);
  }
}
