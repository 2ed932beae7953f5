import type { Command } from 'commander';
import { ensureEmbeddedTemplate } from '../../db/index.js';
import { createOutput } from '../output.js';
import type { GlobalOptions } from '../context.js';

/**
 * `sluice prepare`: makes what a first start of the embedded database would
 * otherwise make (the template its data directories are copied from), so
 * that `npm install && npm start` answers in a second or two. `npm install`
 * runs it with `--optional`: a failure then warns, and the first start
 * makes the template instead.
 */
export function registerPrepare(program: Command): void {
  program
    .command('prepare')
    .description('Make the embedded database template that new data directories are copied from (npm install runs it)')
    .option('--optional', 'warn instead of failing when it cannot be made')
    .action(async (options: { optional?: boolean }, command: Command) => {
      const out = createOutput({ json: Boolean(command.optsWithGlobals<GlobalOptions>().json) });
      try {
        const dir = await ensureEmbeddedTemplate();
        out.result(dir ? `Embedded database template: ${dir}` : 'No embedded database template: its cache folder cannot be written (each new data directory runs initdb).', { template: dir ?? null });
      } catch (error) {
        if (!options.optional) throw error;
        out.warn(`the embedded database template was not made (the first start makes it): ${(error as Error).message}`);
      }
    });
}
