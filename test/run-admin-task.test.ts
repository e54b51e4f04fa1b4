import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../scripts/run-admin-task.sh', import.meta.url));
const runAdminTask = suite('run-admin-task');

let dir = '';
let stub = '';

runAdminTask.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'run-admin-task-'));
  // Stands in for pit-runner: prints the argv it received as JSON and exits with $STUB_EXIT.
  stub = path.join(dir, 'pit-runner');
  await writeFile(stub, '#!/usr/bin/env node\nconsole.log(JSON.stringify(process.argv.slice(2)));\nprocess.exit(Number(process.env.STUB_EXIT ?? 0));\n');
  await chmod(stub, 0o755);
});
runAdminTask.after(() => rm(dir, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) =>
  execa(script, args, { env: { PIT_RUNNER: stub, ...env }, reject: false });

runAdminTask('passes shellcheck', async () => {
  const found = await execa('shellcheck', ['--version'], { reject: false }).catch(() => undefined);
  if (!found || found.exitCode !== 0) {
    console.warn('\n  NOTE: shellcheck is not installed; run scripts/setup.sh. Skipping the lint check.');
    return;
  }
  const lint = await execa('shellcheck', [script], { reject: false });
  assert.is(lint.exitCode, 0, lint.stdout);
});

runAdminTask('forwards arguments with spaces, quotes and globs intact after dispatch --', async () => {
  const args = ['process', '--message', '{"submissionId": "a b"}', "it's", '*', '', '$HOME', '--', 'last arg'];
  const { stdout, exitCode } = await run(args);
  assert.is(exitCode, 0);
  assert.equal(JSON.parse(stdout), ['dispatch', '--', ...args]);
});

runAdminTask('leading options up to -- go to dispatch, the rest to the command', async () => {
  const { stdout } = await run(['--timeout', '2h', '--capacity', 'FARGATE_SPOT', '--', 'reprocess', '--status', 'ERROR']);
  assert.equal(JSON.parse(stdout), ['dispatch', '--timeout', '2h', '--capacity', 'FARGATE_SPOT', '--', 'reprocess', '--status', 'ERROR']);
});

runAdminTask('--stack reaches dispatch, which reads the stack\'s outputs', async () => {
  const { stdout } = await run(['--stack', 'pit-runner', '--', 'migrate', 'status']);
  assert.equal(JSON.parse(stdout), ['dispatch', '--stack', 'pit-runner', '--', 'migrate', 'status']);
});

runAdminTask('exits with the dispatcher\'s exit code', async () => {
  for (const code of [3, 125]) assert.is((await run(['migrate', 'status'], { STUB_EXIT: String(code) })).exitCode, code);
});

runAdminTask('--help explains the environment and exits 0; no command exits 2', async () => {
  const help = await run(['--help']);
  assert.is(help.exitCode, 0);
  for (const name of ['PIT_RUNNER_STACK', 'ECS_CLUSTER', 'ECS_SUBNETS', 'ECS_SECURITY_GROUP', 'AWS_REGION', 'ECS_TASK_FAMILY']) assert.match(help.stdout, name);
  assert.is((await run([])).exitCode, 2);
  assert.is((await run(['--timeout', '2h'])).exitCode, 2);
});

runAdminTask.run();
