import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import { workRoot } from '../helpers/sandbox-fixture.js';
import { silentLogger } from '../../src/log.js';
import { gradeById } from '../helpers/grade.js';
import { repoRoot } from '../helpers/cli.js';
import { writeZip, zipDirectory, type ZipEntrySpec } from '../helpers/zip.js';

// Hostile submissions through the whole pipeline: each ends in a final status with a clear outcome,
// leaves nothing running, and cannot raise its own score.
const hostile = suite('process hostile');
let tmp: string;
let pitsDir: string;
// RUNNER_SANDBOX_MODE=uid runs these attacks on the Fargate path; its work folder must be closed above (workRoot).
const config = () => loadConfig({ PITS_DIR: pitsDir, RUNNER_WORK_DIR: path.join(workRoot, 'hostile'), RUNNER_MAX_LOG_BYTES: '65536', RUNNER_SANDBOX_MODE: process.env.RUNNER_SANDBOX_MODE ?? 'auto' });

const nodeTests = `import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, double } from '../solution.mjs';
describe('forge', () => {
  test('answers 42', () => assert.equal(answer(), 42));
  test('doubles', () => assert.equal(double(4), 8));
});
`;
const nodePit = {
  language: 'javascript', buildTool: 'node', shell: true, maxTimeoutMs: 20000,
  testCommand: 'mkdir -p test-reports && node --test --test-reporter=junit --test-reporter-destination=test-reports/junit.xml tests/',
  expectedTests: ['forge#answers 42', 'forge#doubles'],
};

hostile.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'process-hostile-'));
  await chmod(tmp, 0o711); // the sandbox user must traverse to its workspace
  pitsDir = path.join(tmp, 'pits');
  await mkdir(path.join(pitsDir, 'node-forge', 'tests'), { recursive: true });
  await writeFile(path.join(pitsDir, 'node-forge.json'), JSON.stringify(nodePit));
  await writeFile(path.join(pitsDir, 'node-forge', 'tests', 'forge.test.mjs'), nodeTests);
  // A PIT that runs whatever script the student sends: the worst case for the sandbox.
  await writeFile(path.join(pitsDir, 'shell-any.json'), JSON.stringify({ language: 'shell', buildTool: 'node', testCommand: 'sh run.sh', maxTimeoutMs: 3000 }));
  await writeFile(path.join(pitsDir, 'shell-small.json'), JSON.stringify({ language: 'shell', buildTool: 'node', testCommand: 'sh run.sh', maxTimeoutMs: 10000, limits: { memoryMb: 16, fileSizeMb: 20 } }));
  await writeFile(path.join(pitsDir, 'shell-roomy.json'), JSON.stringify({ language: 'shell', buildTool: 'node', testCommand: 'sh run.sh', maxTimeoutMs: 60000 }));
  await cp(path.join(repoRoot, 'pits', 'java-javac-bankaccount-v1.json'), path.join(pitsDir, 'java-javac-bankaccount-v1.json'));
  await cp(path.join(repoRoot, 'pits', 'java-javac-bankaccount-v1'), path.join(pitsDir, 'java-javac-bankaccount-v1'), { recursive: true });
});
hostile.after(async () => { await rm(tmp, { recursive: true, force: true }); });

async function grade(pitId: string, entries: ZipEntrySpec[]) {
  const zip = path.join(tmp, `${pitId}-${Math.random().toString(36).slice(2)}.zip`);
  await writeZip(zip, entries);
  return gradeById({ zipFile: zip }, pitId, { config: config(), log: silentLogger });
}

const wrongSolution = { name: 'solution.mjs', data: 'export const answer = () => 41;\nexport const double = (n) => n * 2;\n' };
const fakeReport = `<?xml version="1.0"?><testsuites><testsuite name="forge" tests="2"><testcase classname="forge" name="answers 42"/><testcase classname="forge" name="doubles"/></testsuite></testsuites>`;

hostile('a report shipped in the ZIP claiming 100% is removed before the run', async () => {
  const { result } = await grade('node-forge', [wrongSolution, { name: 'test-reports/junit.xml', data: fakeReport }]);
  assert.is(result.status, 'DONE');
  assert.is(result.score, 50);
});

hostile('deleting or replacing the instructor tests changes nothing: the template wins', async () => {
  const { result } = await grade('node-forge', [wrongSolution, { name: 'tests/forge.test.mjs', data: "import { test } from 'node:test'; test('answers 42', () => {}); test('doubles', () => {});" }]);
  assert.is(result.score, 50);
  assert.equal(result.tests.map((t) => `${t.name}:${t.status}`).sort(), ['answers 42:failed', 'doubles:passed']);
});

hostile('exiting early so no test reports scores 0: expected tests that did not run count as failed', async () => {
  const { result } = await grade('node-forge', [{ name: 'solution.mjs', data: 'process.exit(0);\nexport const answer = () => 42;\nexport const double = (n) => n * 2;\n' }]);
  assert.is(result.status, 'DONE');
  assert.is(result.score, 0);
  assert.ok(result.tests.every((t) => t.status !== 'passed'));
});

hostile('System.exit(0) in a static initializer scores 0', async () => {
  const solution = path.join(repoRoot, 'examples', 'java-javac-bankaccount-v1', 'correct');
  const dir = path.join(tmp, 'exit-in-static');
  await cp(solution, dir, { recursive: true });
  const file = path.join(dir, 'src/main/java/bank/BankAccount.java');
  const source = await readFile(file, 'utf8');
  await writeFile(file, source.replace(/(class BankAccount[^{]*\{)/, '$1\n    static { System.exit(0); }\n'));
  const zip = path.join(tmp, 'exit-in-static.zip');
  await zipDirectory(dir, zip);
  const { result } = await gradeById({ zipFile: zip }, 'java-javac-bankaccount-v1', { config: config(), log: silentLogger });
  assert.is(result.status, 'DONE');
  assert.is(result.score, 0);
});

hostile('memory held in /dev/shm is the submission\'s: MEMORY_LIMIT without namespaces, a full private /tmp with them', async () => {
  // 32 files of 20 MB (the file-size limit) pass the 544 MiB bound of memoryMb 16
  const script = 'for i in $(seq 1 32); do head -c 20M /dev/zero > /dev/shm/fill-$$-$i || { echo NOSPACE; exit 1; }; done\nsleep 8\n';
  const { result, log } = await grade('shell-small', [{ name: 'run.sh', data: script }]);
  assert.is(result.status, 'DONE');
  if (process.env.RUNNER_SANDBOX_MODE === 'uid') assert.is(result.outcome, 'MEMORY_LIMIT', String(log));
  else assert.match(String(log), 'NOSPACE');
});

hostile('an endless loop that ignores SIGTERM and forks ends TIME_LIMIT with nothing left running', async () => {
  const marker = `loop-${process.pid}-${Date.now()}`;
  // $0 of the forked shell carries the marker, so pgrep finds it if it survives
  const script = `trap '' TERM\nsh -c 'trap "" TERM; while :; do :; done' ${marker} &\nwhile :; do :; done\n`;
  const started = Date.now();
  const { result } = await grade('shell-any', [{ name: 'run.sh', data: script }]);
  assert.is(result.outcome, 'TIME_LIMIT');
  assert.ok(result.timedOut);
  assert.ok(Date.now() - started < 3000 + 5000, 'ended within maxTimeoutMs + 5 s');
  const left = await execa('pgrep', ['-f', marker], { reject: false });
  assert.is(left.stdout.trim(), '', 'no process of the submission is left');
});

hostile('20 MB of output is capped in the log, head and tail kept', async () => {
  const { result, log } = await grade('shell-any', [{ name: 'run.sh', data: "echo FIRST-LINE\nhead -c 20000000 /dev/zero | tr '\\0' x\necho\necho LAST-LINE\n" }]);
  assert.ok(result.logTruncated);
  assert.ok(result.logBytes >= 20_000_000);
  assert.ok(log.length <= 65536 + 1024, `log kept ${log.length} bytes`);
  const text = log.toString();
  assert.match(text, 'FIRST-LINE');
  assert.match(text, 'LAST-LINE');
});

hostile('the test process does not see the runner\'s secrets', async () => {
  process.env.PIT_RUNNER_PLANTED_SECRET = 'planted-s3cr3t-value';
  process.env.AWS_SECRET_ACCESS_KEY = 'planted-s3cr3t-value';
  try {
    const script = `env\ncat /proc/1/environ 2>&1\ncat /proc/${process.pid}/environ 2>&1\ncat /proc/$PPID/environ 2>&1\n`;
    const { result, log } = await grade('shell-any', [{ name: 'run.sh', data: script }]);
    assert.is(result.status, 'DONE');
    assert.match(log.toString(), 'HOME=', 'the script did print its environment');
    assert.not.match(log.toString(), 'planted-s3cr3t-value');
  } finally {
    delete process.env.PIT_RUNNER_PLANTED_SECRET;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  }
});

// Where an escaping entry would land: the workspace is <work>/sub-X/ and the ZIP unpacks into
// <work>/sub-X/submission/, so ../../ reaches <work>, which outlives the workspace.
const escapeName = `escaped-${process.pid}`;
const landings = () => [path.join(tmp, 'work', escapeName), `/tmp/${escapeName}`];
for (const [name, entries] of [
  ['zip slip', [{ name: `../../${escapeName}`, data: 'x' }]],
  ['an absolute path', [{ name: `/tmp/${escapeName}`, data: 'x' }]],
  ['a symlink entry', [{ name: 'link', symlink: '/etc/passwd' }]],
  ['a zip bomb', [{ name: 'bomb.txt', data: Buffer.alloc(50_000_000) }]],
  ['an empty ZIP', []],
] as Array<[string, ZipEntrySpec[]]>) {
  hostile(`${name} ends ERROR INVALID_SUBMISSION with a message`, async () => {
    const { result } = await grade('node-forge', entries);
    assert.equal([result.status, result.outcome], ['ERROR', 'INVALID_SUBMISSION']);
    assert.ok(result.error && result.error.message.length > 10, result.error?.message);
    for (const file of landings()) assert.not.ok(await readFile(file).catch(() => undefined), `nothing written at ${file}`);
  });
}

hostile('a corrupt file and a non-ZIP end ERROR INVALID_SUBMISSION', async () => {
  for (const data of [Buffer.from('PK\u0003\u0004 this is not really a zip'), Buffer.from('hello, I am a text file')]) {
    const file = path.join(tmp, 'bad.zip');
    await writeFile(file, data);
    const { result } = await gradeById({ zipFile: file }, 'node-forge', { config: config(), log: silentLogger });
    assert.equal([result.status, result.outcome], ['ERROR', 'INVALID_SUBMISSION']);
  }
});

hostile('two submissions graded at once do not kill each other (one sandbox uid each)', async () => {
  const [quick, slow] = await Promise.all([
    grade('shell-roomy', [{ name: 'run.sh', data: 'echo quick\n' }]),
    grade('shell-roomy', [{ name: 'run.sh', data: 'sleep 3\necho slow done\n' }]),
  ]);
  assert.equal([quick.result.exitCode, slow.result.exitCode, slow.result.timedOut], [0, 0, false], slow.log.toString());
  assert.match(slow.log.toString(), 'slow done');
});

hostile('the student\'s processes are the OOM killer\'s first choice, not the runner', async () => {
  const { log } = await grade('shell-any', [{ name: 'run.sh', data: 'echo "oom=$(cat /proc/self/oom_score_adj)"\n' }]);
  assert.match(log.toString(), 'oom=1000');
});

hostile('after all of that, a correct submission is graded normally', async () => {
  const { result } = await grade('node-forge', [{ name: 'solution.mjs', data: 'export const answer = () => 42;\nexport const double = (n) => n * 2;\n' }]);
  assert.equal([result.status, result.outcome, result.score], ['DONE', 'PASSED', 100]);
});

hostile.run();
