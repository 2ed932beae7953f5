import type { Command } from 'commander';
import { createTokenOperation } from '../../admin/index.js';
import { contextOf } from '../context.js';
import { executeOperation } from '../execute.js';

export function registerTokenCreate(token: Command): void {
  token
    .command('create')
    .description('Create an API token for an organisation; prints the token alone on stdout')
    .requiredOption('--org <id>', 'organisation id')
    .option('--role <role>', 'admin, editor or viewer', 'editor')
    .option('--name <name>', 'a name to tell tokens apart', 'cli')
    .option('--expires-in-days <days>', 'expire after this many days (default: never)', (v) => Number(v))
    .action(async (options: { org: string; role: string; name: string; expiresInDays?: number }, command: Command) => {
      const { config, out } = contextOf(command);
      const { token: secret, info } = await executeOperation(config, createTokenOperation, options);
      out.result(secret, { token: secret, info });
    });
}
