import type { Command } from 'commander';
import { createUserOperation } from '../../admin/index.js';
import { contextOf } from '../context.js';
import { executeOperation } from '../execute.js';

export function registerUserCreate(user: Command): void {
  user
    .command('create')
    .description('Create a user in an organisation')
    .requiredOption('--org <id>', 'organisation id')
    .requiredOption('--email <email>', 'login email (unique across organisations)')
    .requiredOption('--role <role>', 'admin, editor or viewer')
    .option('--password <password>', 'at least 8 characters; generated and printed once when omitted')
    .option('--name <name>', 'display name')
    .action(async (options: { org: string; email: string; role: string; password?: string; name?: string }, command: Command) => {
      const { config, out } = contextOf(command);
      const { user: created, generatedPassword } = await executeOperation(config, createUserOperation, options);
      const lines = [`Created ${created.role} ${created.email} in organisation ${created.orgId}.`];
      if (generatedPassword) lines.push(`Password (shown once): ${generatedPassword}`);
      out.result(lines.join('\n'), { user: created, ...(generatedPassword ? { password: generatedPassword } : {}) });
    });
}
