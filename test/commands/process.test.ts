import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, repoRoot } from '../helpers/cli.js';
import { zipDirectory } from '../helpers/zip.js';
import { assertGolden } from '../helpers/golden.js';
import { pitHash } from '../../src/grading/pit-hash.js';
import type { GradeResult, Provenance } from '../../src/grading/types.js';
import { loadPit } from '../../src/pits/load.js';

// One sample PIT's examples graded end to end through the CLI in local mode: its JSON result equals the
// golden files that test/grading/samples.test.ts holds every sample's in-process grade to.
const samples = suite('process samples');
let tmp: string;
samples.before(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'process-samples-')); });
samples.after(async () => { await rm(tmp, { recursive: true, force: true }); });

const pits = (await readdir(path.join(repoRoot, 'examples'))).sort();

async function gradeExample(pitId: string, kind: string) {
  const zip = path.join(tmp, `${pitId}-${kind}.zip`);
  await zipDirectory(path.join(repoRoot, 'examples', pitId, kind), zip, `${kind}/`);
  const run = await runCli(['process', '--zip', zip, '--pit', pitId]);
  assert.is(run.exitCode, 0, `${pitId} ${kind}: ${run.stderr}`);
  return JSON.parse(run.stdout) as GradeResult;
}

const cliPit = 'javascript-node-roman-v1';
for (const kind of ['correct', 'wrong', 'compile-error']) {
  samples(`${cliPit} ${kind}: the printed result equals the golden file${kind === 'compile-error' ? ' and says where' : ''}`, async () => {
    const result = await gradeExample(cliPit, kind);
    await assertGolden(cliPit, kind, result);
    if (kind === 'compile-error') assert.ok(result.error?.message, 'a message pointing at the compiler error');
  });
}
samples('--format json carries the provenance, and run.log starts with it', async () => {
  const pitId = 'javascript-node-roman-v1';
  const out = path.join(tmp, 'out');
  const run = await runCli(['process', '--zip', path.join(repoRoot, 'examples', pitId, 'correct'), '--pit', pitId, '--format', 'json', '--out', out]);
  assert.is(run.exitCode, 0, run.stderr);
  const { provenance } = JSON.parse(run.stdout) as { provenance: Provenance };
  assert.is(provenance.pitHash, await pitHash(await loadPit(path.join(repoRoot, 'pits'), pitId)));
  assert.equal(Object.keys(provenance.toolchain), ['node']);
  const log = await readFile(path.join(out, 'run.log'), 'utf8');
  assert.ok(log.startsWith(`pit-runner: runner ${provenance.runner.version} build ${provenance.runner.gitSha}`), log.slice(0, 200));
});
samples.run();

// Local-mode usage errors: nothing graded, exit 2 (or 1 for a broken config), a message that names the problem.
const usage = suite('process usage');
usage('an invalid PIT id is a usage error', async () => {
  const run = await runCli(['process', '--zip', 'package.json', '--pit', '../etc']);
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, 'not a PIT id');
});
usage('an unknown PIT is a usage error naming it', async () => {
  const run = await runCli(['process', '--zip', 'package.json', '--pit', 'no-such-pit']);
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, 'no-such-pit');
});
usage('a missing ZIP is a usage error', async () => {
  const run = await runCli(['process', '--zip', '/nonexistent.zip', '--pit', pits[0]!]);
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, '/nonexistent.zip');
});
usage('a PIT config that is not JSON names the file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pits-'));
  try {
    await writeFile(path.join(dir, 'broken.json'), '{ "language": ');
    const run = await runCli(['process', '--zip', 'package.json', '--pit', 'broken', '--pits-dir', dir]);
    assert.is(run.exitCode, 1);
    assert.match(run.stderr, 'broken.json');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
usage('two modes at once are refused before anything runs', async () => {
  const run = await runCli(['process', '--zip', 'x.zip', '--pit', 'a', '--submission-id', '8c0e0a2e-1c53-4d7e-9a8b-0c7a3b9d2e11']);
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, 'exactly one');
});
usage('a submission id that is not a UUID is refused', async () => {
  const run = await runCli(['process', '--submission-id', "1; drop table submissions"]);
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, 'not a UUID');
});
usage('a malformed --message is refused before any database is opened', async () => {
  const run = await runCli(['process', '--message', '{"submissionId":"nope"}'], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, 'invalid queue message');
});
usage('drain-queue refuses more concurrency than it has sandbox uids', async () => {
  const run = await runCli(['drain-queue', '--concurrency', '17']);
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, 'at most 16');
});
usage('a bad LOG_LEVEL is a configuration error listed with the others, not a crash', async () => {
  const run = await runCli(['migrate', 'status'], { env: { LOG_LEVEL: 'bogus', RUNNER_TIMEOUT_MS: 'abc' } });
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, 'LOG_LEVEL');
  assert.match(run.stderr, 'RUNNER_TIMEOUT_MS');
  assert.not.match(run.stderr, '    at ');
});
usage('a command that loads the AWS SDK logs no Node-version notice, and reports its error once', async () => {
  const run = await runCli(['dispatch', '--', 'migrate'], { env: { AWS_REGION: 'eu-west-1', ECS_CLUSTER: undefined, ECS_TASK_FAMILY: undefined } });
  assert.is(run.exitCode, 2);
  assert.match(run.stderr, 'ECS_CLUSTER');
  assert.not.match(run.stderr, 'NodeVersionSupportWarning');
  assert.is(run.stderr.split('\n').filter((line) => line.startsWith('pit-runner: dispatch needs')).length, 1);
});
usage.run();
