import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT } from './errors.js';
import { processCommand } from './commands/process.js';
import { drainQueueCommand } from './commands/drain-queue.js';
import { migrateCommand } from './commands/migrate.js';
import { reprocessCommand } from './commands/reprocess.js';
import { shellCommand } from './commands/shell.js';
import { pitCommand } from './commands/pit.js';
import { dispatchCommand } from './commands/dispatch.js';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

// Node prints process warnings as plain text on stderr, which is JSON lines here. The AWS SDK's
// notice that it will drop Node 20 is for developers, not for every task's log.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'NodeVersionSupportWarning') return;
  process.stderr.write(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), warning: warning.name, msg: warning.message })}\n`);
});

export function buildCli(argv: string[]) {
  return yargs(argv)
    .scriptName('pit-runner')
    .usage('$0 <command> [options]\n\nGrades student submissions against PITs. See README.md and RUNBOOK.md.')
    .command(processCommand)
    .command(drainQueueCommand)
    .command(migrateCommand)
    .command(reprocessCommand)
    .command(shellCommand)
    .command(pitCommand)
    .command(dispatchCommand)
    .demandCommand(1, 'name a command')
    .strict()
    .version(version)
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error, y) => {
      if (error && !message) throw error;
      process.stderr.write(`pit-runner: ${message ?? error?.message}\nRun 'pit-runner --help' for usage.\n`);
      process.exit(EXIT.USAGE);
    });
}

await buildCli(hideBin(process.argv)).parseAsync();
// Commands close what they open; this ends the process even if a library left a handle behind.
process.exit(process.exitCode ?? EXIT.OK);
