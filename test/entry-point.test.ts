import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildIsCurrent, sourceSnapshot, writeStamp } from '../bin/build-stamp.js';
import { repoRoot, runCli } from './helpers/cli.js';
import { writeZip } from './helpers/zip.js';

// bin/pit-runner.js in a stand-in checkout whose src/main.ts and dist/main.js each say which one ran.
const entry = suite('entry point');
let tmp: string;
entry.before(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'entry-point-')); });
entry.after(async () => { await rm(tmp, { recursive: true, force: true }); });

let checkouts = 0;
async function checkout(options: { src?: boolean } = {}): Promise<string> {
  const root = path.join(tmp, `checkout-${checkouts++}`);
  await cp(path.join(repoRoot, 'bin'), path.join(root, 'bin'), { recursive: true });
  await symlink(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  await writeFile(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  await writeFile(path.join(root, 'tsconfig.json'), await readFile(path.join(repoRoot, 'tsconfig.json')));
  await mkdir(path.join(root, 'dist'));
  await writeFile(path.join(root, 'dist', 'main.js'), "console.log('dist');\n");
  if (options.src !== false) {
    await mkdir(path.join(root, 'src', 'grading'), { recursive: true });
    await writeFile(path.join(root, 'src', 'main.ts'), "const from: string = 'src'; console.log(from);\n");
    await writeFile(path.join(root, 'src', 'grading', 'score.ts'), 'export const score = 1;\n');
  }
  return root;
}
const built = async (root: string) => (writeStamp(root, sourceSnapshot(root)), root);
const ran = async (root: string) => (await execa('node', [path.join(root, 'bin', 'pit-runner.js')], { cwd: root })).stdout;

entry('the image layout (dist/, no src/) runs dist/', async () => {
  assert.is(await ran(await checkout({ src: false })), 'dist');
});

entry('a checkout runs dist/ while it is the build of exactly the sources present', async () => {
  assert.is(await ran(await built(await checkout())), 'dist');
});

entry('a checkout never built (no stamp) runs the sources through tsx', async () => {
  assert.is(await ran(await checkout()), 'src');
});

entry('a source saved after the build, even with an older time, makes it run the sources', async () => {
  const root = await built(await checkout());
  const file = path.join(root, 'src', 'grading', 'score.ts');
  await writeFile(file, 'export const score = 2;\n');
  await utimes(file, new Date(2001, 0, 1), new Date(2001, 0, 1));
  assert.is(await ran(root), 'src');
});

entry('an added, a removed source or a changed tsconfig.json makes it run the sources', async () => {
  const added = await built(await checkout());
  await writeFile(path.join(added, 'src', 'grading', 'extra.ts'), '');
  const removed = await built(await checkout());
  await rm(path.join(removed, 'src', 'grading', 'score.ts'));
  const configured = await built(await checkout());
  await writeFile(path.join(configured, 'tsconfig.json'), '{}');
  assert.equal([await ran(added), await ran(removed), await ran(configured)], ['src', 'src', 'src']);
});

entry('npm run build compiles a fresh dist/, drops modules of deleted sources, and stamps it', async () => {
  const root = await checkout();
  await cp(path.join(repoRoot, 'scripts', 'build.mjs'), path.join(root, 'scripts', 'build.mjs'));
  await mkdir(path.join(root, 'src', 'db', 'migrations'), { recursive: true });
  await writeFile(path.join(root, 'src', 'db', 'migrations', '0001_start.sql'), 'select 1;\n');
  await writeFile(path.join(root, 'dist', 'gone.js'), '');
  await execa('node', ['scripts/build.mjs'], { cwd: root });
  assert.not.ok(existsSync(path.join(root, 'dist', 'gone.js')));
  assert.not.ok(existsSync(path.join(root, 'dist', 'main.js.map')), 'no source maps unless asked for');
  assert.ok(buildIsCurrent(root), 'the build is stamped with the sources it was made from');
  assert.is(await ran(root), 'src', 'dist/main.js is now the compiled src/main.ts');
  assert.match(await readFile(path.join(root, 'dist', 'main.js'), 'utf8'), /["']src["']/);
  assert.is(await readFile(path.join(root, 'dist', 'migrations', '0001_start.sql'), 'utf8'), 'select 1;\n', 'the migrations travel with the build');
  await writeFile(path.join(root, 'src', 'main.ts'), "console.log('edited');\n");
  assert.is(await ran(root), 'edited');
});

entry.run();

// The command the README gives for a laptop must let a SIGTERM reach the runner itself (npx and
// `npm exec` die on it and leave the runner running, orphaned): the runner releases its work, exits 143.
const signals = suite('documented laptop command');

signals('is a command that passes SIGTERM to the runner, which stops the tests and exits 143', async () => {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const documented = /&& (\S+) process --zip /.exec(readme)?.[1];
  assert.ok(documented, 'no `… process --zip` command in the README');
  assert.not.match(documented, /^(npx|npm)$/);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'entry-signal-'));
  await chmod(dir, 0o711); // the sandbox uid must reach its workspace
  try {
    await mkdir(path.join(dir, 'pits'));
    await writeFile(path.join(dir, 'pits', 'shell-slow.json'), JSON.stringify({ language: 'shell', buildTool: 'node', testCommand: 'sh run.sh', maxTimeoutMs: 120000 }));
    const marker = `98.${Date.now() % 1_000_000}`; // a sleep length no other process uses
    await writeZip(path.join(dir, 'slow.zip'), [{ name: 'run.sh', data: `sleep ${marker}\n` }]);
    const child = execa(documented, ['process', '--zip', path.join(dir, 'slow.zip'), '--pit', 'shell-slow'], {
      cwd: repoRoot, reject: false, timeout: 120_000, env: { LOG_LEVEL: 'warn', PITS_DIR: path.join(dir, 'pits'), RUNNER_WORK_DIR: path.join(dir, 'work') },
    });
    let exited = false;
    void child.finally(() => { exited = true; });
    const running = async () => (await execa('pgrep', ['-f', `sleep ${marker}`], { reject: false })).stdout;
    for (let i = 0; i < 600 && !exited && !(await running()); i++) await sleep(100);
    assert.ok(await running(), `the tests never started: ${exited ? (await child).stdout : 'still waiting'}`);
    child.kill('SIGTERM');
    const run = await child;
    assert.is(run.signal, undefined, 'killed by the signal instead of handling it');
    assert.is(run.exitCode, 143, run.stderr);
    assert.is(await running(), '', 'the tests are gone');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

signals.run();

// What the installed CLI answers without running a command (through the build when it is current, as
// after `npm run setup`): the help text is rendered by the string-width the build loads on first use.
const answers = suite('cli answers');

answers('--version prints the package version; --help lists every command; a command\'s --help its options', async () => {
  const { version } = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const [versionRun, help, processHelp] = await Promise.all([runCli(['--version']), runCli(['--help']), runCli(['process', '--help'])]);
  assert.equal([versionRun.exitCode, versionRun.stdout], [0, version]);
  assert.is(help.exitCode, 0, help.stderr);
  for (const command of ['process', 'drain-queue', 'migrate', 'reprocess', 'shell', 'stats', 'pit', 'dispatch']) assert.match(help.stdout, `pit-runner ${command}`);
  assert.is(processHelp.exitCode, 0, processHelp.stderr);
  assert.match(processHelp.stdout, /--zip\s+local mode: the submission ZIP/);
});

answers.run();
