import type { Command } from 'commander';
import { migrateOperation } from '../../admin/index.js';
import { contextOf } from '../context.js';
import { executeOperation } from '../execute.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (sluice start also does this)')
    .action(async (_options, command: Command) => {
      const { config, out } = contextOf(command);
      const report = await executeOperation(config, migrateOperation, {});
      const text =
        report.applied.length === 0
          ? `Database is up to date (migration ${report.current}).`
          : `Applied ${report.applied.length} migration(s): ${report.applied.map((m) => `${m.id}_${m.name}`).join(', ')}.`;
      out.result(text, report);
    });
}
