import { z } from 'zod';
import { UserError } from '../errors/index.js';
import { AirflowOrchestrator } from '../orchestrators/index.js';
import type { Services } from '../services.js';
import type { Operation } from './operations.js';

const define = <I extends z.ZodType, O>(op: Operation<I, O>): Operation<I, O> => op;

function airflowOf(services: Services): AirflowOrchestrator {
  if (!(services.orchestrator instanceof AirflowOrchestrator)) {
    throw new UserError('invalid_settings', 'Airflow is not configured: set AIRFLOW_API_URL (and AIRFLOW_USERNAME, AIRFLOW_PASSWORD, AIRFLOW_DAGS_FOLDER)');
  }
  return services.orchestrator;
}

/** `sluice airflow sync`: every DAG file written (or left when unchanged), and Airflow's import errors for them. */
export const airflowSyncOperation = define({
  name: 'airflow.sync',
  input: z.object({}),
  auditAction: 'airflow.sync',
  async run(services) {
    return airflowOf(services).sync();
  },
  auditSubject: () => ({ orgId: null, target: null }),
});

/** `sluice airflow status`: Airflow's health and version, Sluice's DAGs there, import errors. */
export const airflowStatusOperation = define({
  name: 'airflow.status',
  input: z.object({}),
  auditAction: undefined,
  async run(services) {
    const airflow = airflowOf(services);
    const [health, version, dags, importErrors] = await Promise.all([
      airflow.client.health(),
      airflow.client.version(),
      airflow.client.listDags({ limit: 100 }).then((d) => d.dags.filter((dag) => dag.tags.includes('sluice'))),
      airflow.client.importErrors({ filenameContains: 'sluice__' }),
    ]);
    return {
      url: airflow.client.root,
      ui: airflow.client.uiUrlFor(''),
      healthy: health.healthy,
      version: version.version,
      apiVersion: version.apiVersion,
      dagsFolder: airflow.folder?.dir ?? null,
      dags: dags.map((d) => ({ dagId: d.dagId, paused: d.isPaused, importErrors: d.hasImportErrors, lastParsed: d.lastParsedTime })),
      importErrors: importErrors.map((e) => ({ filename: e.filename, error: e.stackTrace.split('\n').slice(-3).join('\n') })),
    };
  },
  auditSubject: () => ({ orgId: null, target: null }),
});

export const AIRFLOW_OPERATIONS = [airflowSyncOperation, airflowStatusOperation];
