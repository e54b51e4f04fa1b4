// The program: the one file that exits. Everything it runs returns its exit code to here (cli.ts's main).
import { main } from './cli.js';

// Node prints process warnings as plain text on stderr, which is JSON lines here. The AWS SDK's notice
// that it will drop this Node version is for developers, not for every task's log; it arrives as a
// plain 'Warning' whose message names it.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.message.startsWith('NodeVersionSupportWarning')) return;
  process.stderr.write(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), warning: warning.name, msg: warning.message })}\n`);
});

// Commands close what they open; exiting here also ends whatever handle a library left behind.
process.exit(await main(process.argv.slice(2)));
