import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../src/cli.js';

// cli.ts imported, not run: main returns each run's exit code (a subcommand's too) and exits nothing.
const cli = suite('cli main');
let pitsDir: string;
cli.before(async () => {
  pitsDir = await mkdtemp(path.join(os.tmpdir(), 'cli-main-'));
  await writeFile(path.join(pitsDir, 'broken.json'), '{"language": "cobol"}');
});
cli.after(async () => { await rm(pitsDir, { recursive: true, force: true }); });

cli('a subcommand\'s returned code, a usage error and a thrown fault each come back from main, run after run', async () => {
  const quiet = async (argv: string[]) => {
    const write = process.stdout.write;
    process.stdout.write = () => true;
    try {
      return await main(argv);
    } finally {
      process.stdout.write = write;
    }
  };
  assert.is(await quiet(['pit', 'validate', 'broken', '--pits-dir', pitsDir]), 2, 'pit validate returns 2 for a PIT with problems');
  assert.is(await quiet(['--version']), 0);
  assert.is(await quiet(['no-such-command']), 2);
  assert.is(await quiet(['process', '--submission-id', 'not-a-uuid']), 2);
  assert.is(await quiet(['pit', 'validate', 'broken', '--pits-dir', pitsDir]), 2, 'and again: no state left from the first run');
});

cli.run();
