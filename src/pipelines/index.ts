import type { PipelineDefinition, PipelineRegistry } from '../engine/index.js';
import type { PipelineDeps } from './deps.js';
import { ETL_WORKFLOW, etlWorkflowPipeline } from './etl-workflow.pipeline.js';
import { orgIngestPipeline } from './org-ingest.pipeline.js';
import { orgLoadPipeline } from './org-load.pipeline.js';
import { forecastInventoryPipeline } from './forecast-inventory.pipeline.js';

export type { PipelineDeps } from './deps.js';
export { ETL_WORKFLOW, etlWorkflowDagId, MAX_REJECTED_SHARE } from './etl-workflow.pipeline.js';
export { FORECAST_DAG, ORG_INGEST_DAG, ORG_LOAD_DAG, type OrgConf } from './org-ingest.pipeline.js';
export { forecastConf, NOTIFY_ITEMS, shardTaskId } from './forecast-inventory.pipeline.js';

/** Every pipeline of Sluice, and how a DAG id finds its pipeline. */
export function createPipelineRegistry(deps: PipelineDeps, extra: readonly PipelineDefinition[] = [], options: { forecastShards?: number } = {}): PipelineRegistry {
  const pipelines = new Map<string, PipelineDefinition>(
    [etlWorkflowPipeline(deps), orgIngestPipeline(deps), orgLoadPipeline(deps), forecastInventoryPipeline(deps, options.forecastShards ?? 4)].map((p) => [p.name, p]),
  );
  for (const p of extra) pipelines.set(p.name, p);
  return {
    get: (name) => pipelines.get(name),
    resolve(dagId) {
      const prefix = `${ETL_WORKFLOW}_`;
      if (dagId.startsWith(prefix) && dagId.length > prefix.length) {
        return { pipeline: pipelines.get(ETL_WORKFLOW)!, connectionId: dagId.slice(prefix.length) };
      }
      const exact = pipelines.get(dagId);
      return exact ? { pipeline: exact, connectionId: null } : undefined;
    },
  };
}
