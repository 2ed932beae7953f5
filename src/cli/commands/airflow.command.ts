import type { Command } from 'commander';
import { airflowStatusOperation, airflowSyncOperation } from '../../admin/index.js';
import { AppError } from '../../errors/index.js';
import { contextOf } from '../context.js';
import { executeOperation } from '../execute.js';

export function registerAirflow(program: Command): void {
  const airflow = program.command('airflow').description('Airflow as the orchestrator: DAG files and status');

  airflow
    .command('sync')
    .description('Write every DAG file into AIRFLOW_DAGS_FOLDER (unchanged files are left alone) and report import errors')
    .action(async (_options, command: Command) => {
      const { config, out } = contextOf(command);
      const result = await executeOperation(config, airflowSyncOperation, {});
      const lines = [
        `DAG files in ${result.folder}:`,
        ...result.written.map((w) => `  ${w.result.padEnd(9)} ${w.dagId}`),
        ...result.removed.map((f) => `  removed   ${f}`),
        result.importErrors.length === 0 ? 'no import errors' : `${result.importErrors.length} import error(s):`,
        ...result.importErrors.map((e) => `  ${e.filename}\n    ${e.error.split('\n').slice(-3).join('\n    ')}`),
      ];
      out.result(lines.join('\n'), result);
      if (result.importErrors.length > 0) throw new AppError('airflow_import_error', `Airflow cannot import ${result.importErrors.length} of Sluice's DAG file(s)`);
    });

  airflow
    .command('status')
    .description("Airflow's health and version, Sluice's DAGs in it, and import errors")
    .action(async (_options, command: Command) => {
      const { config, out } = contextOf(command);
      const s = await executeOperation(config, airflowStatusOperation, {});
      const lines = [
        `Airflow ${s.version} (${s.apiVersion}) at ${s.url}: ${s.healthy ? 'healthy' : 'UNHEALTHY'}; UI ${s.ui}`,
        `DAGs folder: ${s.dagsFolder ?? 'not set (AIRFLOW_DAGS_FOLDER)'}`,
        `${s.dags.length} Sluice DAG(s):`,
        ...s.dags.map((d) => `  ${d.dagId.padEnd(40)} ${d.paused ? 'paused' : 'active'}${d.importErrors ? '  IMPORT ERROR' : ''}`),
        s.importErrors.length === 0 ? 'no import errors' : `${s.importErrors.length} import error(s):`,
        ...s.importErrors.map((e) => `  ${e.filename}\n    ${e.error}`),
      ];
      out.result(lines.join('\n'), s);
    });
}
