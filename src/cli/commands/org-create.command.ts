import type { Command } from 'commander';
import { createOrgOperation } from '../../admin/index.js';
import { contextOf } from '../context.js';
import { executeOperation } from '../execute.js';

export function registerOrgCreate(org: Command): void {
  org
    .command('create')
    .description('Create an organisation')
    .argument('<id>', 'organisation id: a-z, 0-9, _ and -, up to 40 characters')
    .option('--name <name>', 'display name (default: the id)')
    .action(async (id: string, options: { name?: string }, command: Command) => {
      const { config, out } = contextOf(command);
      const created = await executeOperation(config, createOrgOperation, { id, name: options.name });
      out.result(`Created organisation ${created.id} (${created.name}).`, created);
    });
}
