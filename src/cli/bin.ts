import { runCli } from './main.js';

// The executable entry (bin/sluice.js loads this). `start` keeps the process
// alive through its server; every other command ends when its work is done.
const code = await runCli(process.argv.slice(2));
if (code !== 0) process.exit(code);
