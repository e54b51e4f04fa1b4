import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import { createSubmissions } from '../../src/db/submissions.js';
import { transientError } from '../../src/errors.js';
import { runSubmission } from '../../src/submissions/run.js';
import { pitHash } from '../../src/grading/pit-hash.js';
import { loadPit } from '../../src/pits/load.js';
import { silentLogger } from '../../src/log.js';
import { rejection } from '../helpers/assert.js';
import { runCli, repoRoot } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { writeZip, zipDirectory } from '../helpers/zip.js';
import { sandboxFor } from '../helpers/sandbox.js';

// `process --submission-id` through the CLI: a real PostgreSQL row, a ZIP in file storage.
const stored = suite('process --submission-id');
let db: TestDatabase;
let tmp: string;
let env: Record<string, string>;

stored.before(async () => {
  db = await freshDatabase({ migrated: true });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'process-stored-'));
  await chmod(tmp, 0o711);
  await mkdir(path.join(tmp, 'storage', 'submissions'), { recursive: true });
  env = { DATABASE_URL: db.url, STORAGE_URL: `file://${path.join(tmp, 'storage')}`, RUNNER_WORK_DIR: path.join(tmp, 'work') };
});
stored.after(async () => {
  await db.close();
  await rm(tmp, { recursive: true, force: true });
});

async function submit(pitId: string, kind: string) {
  const id = randomUUID();
  const fileKey = `submissions/${id}.zip`;
  await zipDirectory(path.join(repoRoot, 'examples', pitId, kind), path.join(tmp, 'storage', fileKey));
  await createSubmissions(db.sql, { leaseSeconds: 60 }).insert({ id, pitId, fileKey, userId: 'student-1' });
  return id;
}

const row = async (id: string) => (await db.sql`select * from submissions where id = ${id}`)[0]!;

stored('a graded submission leaves a DONE row with score, outcome, feedback, timings and its log', async () => {
  const id = await submit('python-pytest-wordstats-v1', 'wrong');
  const run = await runCli(['process', '--submission-id', id], { env });
  assert.is(run.exitCode, 0, run.stderr);
  const r = await row(id);
  assert.equal([r.status, r.outcome, Number(r.score), r.attempt], ['DONE', 'FAILED', 40, 1]);
  assert.is(r.feedback.tests.length, 5);
  assert.ok(r.feedback.tests.some((t: { status: string; message?: string }) => t.status === 'failed' && t.message));
  assert.ok(r.feedback.timings.totalMs > 0);
  assert.ok(r.finished_at instanceof Date && r.started_at instanceof Date);
  assert.is(r.logs_s3_key, `logs/${id}/1/run.log`);
  assert.match(await readFile(path.join(tmp, 'storage', r.logs_s3_key), 'utf8'), 'pytest');
});

stored('the result records what produced it (PIT hash, runner build, toolchain, sandbox and limits), also at the head of its log', async () => {
  const pitId = 'javascript-node-roman-v1';
  const id = await submit(pitId, 'wrong');
  const run = await runCli(['process', '--submission-id', id], { env });
  assert.is(run.exitCode, 0, run.stderr);
  const pit = await loadPit(path.join(repoRoot, 'pits'), pitId);
  const stored = (await createSubmissions(db.sql, { leaseSeconds: 60 }).get(id))!;
  const provenance = stored.provenance!;
  assert.is(provenance.pitHash, await pitHash(pit));
  assert.equal(JSON.parse(run.stdout).provenance, provenance, 'printed as stored');
  assert.match(provenance.runner.gitSha ?? '', /^[0-9a-f]{40}/);
  assert.equal([provenance.runner.version, provenance.runner.imageDigest, provenance.buildTool], ['0.1.0', null, 'node']);
  assert.match(provenance.toolchain.node ?? '', /^\d+\.\d+\.\d+$/);
  assert.equal(provenance.sandbox?.limits, pit.limits);
  assert.ok(['namespaces', 'uid'].includes(provenance.sandbox?.mode ?? ''));
  const log = await readFile(path.join(tmp, 'storage', stored.logsS3Key!), 'utf8');
  const [first, second] = log.split('\n');
  assert.is(first, `pit-runner: runner 0.1.0 build ${provenance.runner.gitSha} image unknown`);
  assert.match(second ?? '', `PIT ${provenance.pitHash} (node: node ${provenance.toolchain.node})`);
});

stored('a final row is skipped (exit 0) and left unchanged; --force regrades it', async () => {
  const id = await submit('javascript-node-roman-v1', 'correct');
  assert.is((await runCli(['process', '--submission-id', id], { env })).exitCode, 0);
  const first = await row(id);
  const again = await runCli(['process', '--submission-id', id], { env });
  assert.is(again.exitCode, 0);
  assert.match(again.stdout, 'already final');
  assert.equal(await row(id), first);
  const forced = await runCli(['process', '--submission-id', id, '--force'], { env });
  assert.is(forced.exitCode, 0, forced.stderr);
  assert.equal([(await row(id)).attempt, (await row(id)).status, Number((await row(id)).score)], [2, 'DONE', 100]);
});

stored('a missing ZIP ends the row ERROR with a message', async () => {
  const id = randomUUID();
  await createSubmissions(db.sql, { leaseSeconds: 60 }).insert({ id, pitId: 'javascript-node-roman-v1', fileKey: 'submissions/nowhere.zip' });
  const run = await runCli(['process', '--submission-id', id], { env });
  assert.is(run.exitCode, 0, run.stderr);
  const r = await row(id);
  assert.equal([r.status, r.outcome, r.error_code], ['ERROR', 'INVALID_SUBMISSION', 'SUBMISSION_NOT_FOUND']);
  assert.match(r.feedback.error.message, 'does not exist');
});

stored('a forced regrade that cannot finish keeps the earlier result instead of stranding the row PENDING', async () => {
  const id = await submit('javascript-node-roman-v1', 'correct');
  assert.is((await runCli(['process', '--submission-id', id], { env })).exitCode, 0);
  const before = await row(id);
  const storage = { location: 'test://down', download: async () => { throw transientError('storage is down'); }, putLog: async () => 'x' };
  const config = loadConfig(env);
  const deps = { config, log: silentLogger, store: createSubmissions(db.sql, { leaseSeconds: 60 }), storage, sandbox: sandboxFor(config) };
  const error = await rejection(runSubmission(id, deps, { force: true }));
  assert.is(error.code, 'TRANSIENT');
  const after = await row(id);
  assert.equal([after.status, Number(after.score), after.attempt], ['DONE', Number(before.score), before.attempt + 1]);
});

stored('a forced regrade ending ERROR for a runner fault keeps the DONE grade current and records the attempt beside it', async () => {
  const id = await submit('javascript-node-roman-v1', 'correct');
  assert.is((await runCli(['process', '--submission-id', id], { env })).exitCode, 0);
  const before = await row(id);
  // the deployed PIT is gone: its submissions end PIT_UNAVAILABLE, the configuration's fault
  const forced = await runCli(['process', '--submission-id', id, '--force'], { env: { ...env, PITS_DIR: path.join(tmp, 'no-pits') } });
  assert.is(forced.exitCode, 0, forced.stderr);
  assert.equal([JSON.parse(forced.stdout).outcome, JSON.parse(forced.stdout).current], ['PIT_UNAVAILABLE', false]);
  const after = await row(id);
  assert.equal([after.status, Number(after.score), after.current_result_id, after.logs_s3_key], ['DONE', 100, before.current_result_id, before.logs_s3_key]);
  const history = await createSubmissions(db.sql, { leaseSeconds: 60 }).results(id);
  assert.equal(history.map((r) => [r.attempt, r.status, r.outcome, r.current]), [[1, 'DONE', 'PASSED', true], [2, 'ERROR', 'PIT_UNAVAILABLE', false]]);
  assert.is(history[1]!.provenance?.pitHash, null, 'no PIT was loaded: its hash is unknown');
});

stored('an unknown submission id exits 1 and says so', async () => {
  const run = await runCli(['process', '--submission-id', randomUUID()], { env });
  assert.is(run.exitCode, 1);
  assert.match(run.stderr, 'no submission');
});

stored('SIGTERM mid-run kills the tests, puts the row back to PENDING and exits 143 within 10 s', async () => {
  const pitsDir = path.join(tmp, 'pits');
  await mkdir(pitsDir, { recursive: true });
  await writeFile(path.join(pitsDir, 'shell-slow.json'), JSON.stringify({ language: 'shell', buildTool: 'node', testCommand: 'sh run.sh', maxTimeoutMs: 120000 }));
  const marker = `99.${Date.now() % 1_000_000}`; // a sleep length no other process uses
  const id = randomUUID();
  const fileKey = `submissions/${id}.zip`;
  await writeZip(path.join(tmp, 'storage', fileKey), [{ name: 'run.sh', data: `sleep ${marker}\n` }]);
  await createSubmissions(db.sql, { leaseSeconds: 60 }).insert({ id, pitId: 'shell-slow', fileKey });

  const child = runCli(['process', '--submission-id', id], { env: { ...env, PITS_DIR: pitsDir } });
  for (let i = 0; i < 300 && !(await execa('pgrep', ['-f', `sleep ${marker}`], { reject: false })).stdout; i++) await sleep(100);
  const signalled = Date.now();
  child.kill('SIGTERM');
  const run = await child;
  assert.is(run.exitCode, 143, run.stdout + run.stderr);
  assert.ok(Date.now() - signalled < 10_000);
  const r = await row(id);
  assert.equal([r.status, r.attempt], ['PENDING', 1]);
  assert.is((await execa('pgrep', ['-f', `sleep ${marker}`], { reject: false })).stdout, '', 'the test process is gone');
});

stored.run();
