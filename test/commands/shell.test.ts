import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startRepl } from '../../src/commands/shell.js';
import { parseDuration } from '../../src/commands/duration.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shell = suite('shell');

function fakeTerminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk) => { text += String(chunk); });
  return { input, output, text: () => text };
}

shell('the REPL has the scope it was given', async () => {
  const io = fakeTerminal();
  const { exited } = await startRepl({ config: { dataDir: '/data' }, sql: undefined, s3: {}, sqs: {}, ecs: {} }, { ...io, terminal: false });
  io.input.write('[typeof config, config.dataDir, typeof s3, typeof sqs, typeof ecs, typeof sql].join(" ")\n.exit\n');
  await exited;
  assert.match(io.text(), "'object /data object object object undefined'");
});

shell('the REPL keeps its history in the given file', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'shell-'));
  try {
    const io = fakeTerminal();
    const historyFile = path.join(dir, 'data', 'repl_history');
    const { exited } = await startRepl({}, { ...io, terminal: true, historyFile });
    io.input.write('1 + 41\n.exit\n');
    await exited;
    assert.match(io.text(), '42');
    assert.match(await readFile(historyFile, 'utf8'), '1 + 41');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

shell('--hold keeps the process alive and exits 0 on SIGTERM', async () => {
  const child = execa('node', ['bin/pit-runner.js', 'shell', '--hold', '1h'], { cwd: root, reject: false, stdin: 'pipe', env: { LOG_LEVEL: 'info' }, timeout: 60_000 });
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => { if (String(chunk).includes('holding')) resolve(); });
    child.once('exit', () => reject(new Error('exited before holding')));
  });
  child.kill('SIGTERM');
  const result = await child;
  assert.is(result.exitCode, 0, result.stderr);
  assert.match(result.stderr, 'hold over');
});

shell('durations read as operators write them', () => {
  assert.is(parseDuration('90s', '--hold'), 90_000);
  assert.is(parseDuration('1h30m', '--hold'), 5_400_000);
  assert.is(parseDuration('45', '--hold'), 45_000);
  assert.throws(() => parseDuration('2 hours', '--hold'), /--hold: "2 hours" is not a duration/);
});

shell.run();
