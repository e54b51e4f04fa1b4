import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, parseCommandString } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { installDir, loadConfig } from '../../src/config.js';
import { gradeSubmission } from '../../src/grading/pipeline.js';
import { readReports, testId } from '../../src/grading/reports.js';
import { loadPit } from '../../src/pits/load.js';
import { applyTemplate } from '../../src/grading/template.js';
import type { TestResult } from '../../src/grading/types.js';
import { assertGolden } from '../helpers/golden.js';
import { sandboxFor } from '../helpers/sandbox.js';
import { zipDirectory } from '../helpers/zip.js';
import { silentLogger } from '../../src/log.js';

// Two suites over the sample PITs (pits/) and their example solutions (examples/<pit>/<example>/):
// - `samples`: each sample's own test command run by hand, without the pipeline: project = example +
//   template, a fresh HOME, no inherited variables, and an unprivileged uid when the tests run as root.
//   That uid is outside every sandbox uid pool: sandboxes sweep away every process of their uids, and
//   the suites may run side by side.
// - `golden`: each example graded by the pipeline (one sandbox for all, as a runner holds it) and
//   compared with its golden file, examples/<pit>/<example>.expected.json (status, outcome, score,
//   summary, each test's id and status). After a deliberate change, regenerate them with
//   `UPDATE_GOLDEN=1 npm test -- samples` and review the diff (test/helpers/golden.ts).
const samples = suite('samples');
const pitsDir = path.join(installDir, 'pits');
const examplesDir = path.join(installDir, 'examples');
const sandboxUser = process.getuid?.() === 0 ? { uid: 10901, gid: 10901 } : {};
const variants = ['correct', 'wrong', 'compile-error'] as const;

interface SampleRun { exitCode: number | undefined; output: string; tests: TestResult[]; expected: string[]; homeLeft: string[] }

async function runSample(pitId: string, variant: (typeof variants)[number], plant: Record<string, string> = {}): Promise<SampleRun> {
  const pit = await loadPit(pitsDir, pitId);
  const workspace = await mkdtemp(path.join(os.tmpdir(), 'samples-'));
  const project = path.join(workspace, 'project');
  const home = path.join(workspace, 'home');
  try {
    await cp(path.join(examplesDir, pitId, variant), project, { recursive: true });
    for (const [file, text] of Object.entries(plant)) {
      await mkdir(path.dirname(path.join(project, file)), { recursive: true });
      await writeFile(path.join(project, file), text);
    }
    await applyTemplate(pit, project);
    await mkdir(home);
    if ('uid' in sandboxUser) await execa('chown', ['-R', `${sandboxUser.uid}:${sandboxUser.gid}`, workspace]);
    const [file, ...args] = pit.shell ? ['/bin/sh', '-c', pit.testCommand] : parseCommandString(pit.testCommand);
    const run = await execa(file!, args, {
      cwd: project,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', ...pit.environment,
        JAVA_TOOL_OPTIONS: ['-Xmx512m -XX:-UsePerfData', pit.environment.JAVA_TOOL_OPTIONS].filter(Boolean).join(' '),
      },
      extendEnv: false,
      reject: false,
      all: true,
      timeout: pit.maxTimeoutMs,
      ...sandboxUser,
    });
    const { tests } = await readReports(project, pit.reports);
    return { exitCode: run.exitCode, output: `${run.all ?? ''}${run.failed ? `\n${run.shortMessage}` : ''}`, tests, expected: pit.expectedTests ?? [], homeLeft: await readdir(home) };
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

const sorted = (ids: string[]) => [...ids].sort();
const idsOf = (tests: TestResult[], status?: TestResult['status']) => sorted(tests.filter((t) => !status || t.status === status).map(testId));

const sampleIds = (await readdir(pitsDir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));

samples('every sample PIT loads, lists its expected tests and has the three example solutions', async () => {
  assert.ok(sampleIds.length >= 4, `only ${sampleIds.length} samples`);
  for (const pitId of sampleIds) {
    const pit = await loadPit(pitsDir, pitId);
    assert.ok(pit.template, `${pitId} has no template folder`);
    assert.ok((pit.expectedTests ?? []).length > 0, `${pitId} lists no expectedTests`);
    for (const variant of variants) assert.ok((await readdir(path.join(examplesDir, pitId, variant))).length > 0, `${pitId}/${variant} is empty`);
  }
});

for (const pitId of sampleIds) {
  samples(`${pitId}: the correct solution passes every expected test and leaves HOME untouched`, async () => {
    const run = await runSample(pitId, 'correct');
    assert.is(run.exitCode, 0, run.output);
    assert.equal(idsOf(run.tests), sorted(run.expected));
    assert.equal(idsOf(run.tests, 'passed'), sorted(run.expected));
    assert.equal(run.homeLeft, []);
  });

  samples(`${pitId}: the wrong solution fails some expected tests and passes others`, async () => {
    const run = await runSample(pitId, 'wrong');
    assert.is.not(run.exitCode, 0);
    assert.equal(idsOf(run.tests), sorted(run.expected));
    assert.ok(idsOf(run.tests, 'failed').length > 0, run.output);
    assert.ok(idsOf(run.tests, 'passed').length > 0, run.output);
  });

  // Maven is slow (seconds per run): its compile error is left to the end-to-end tests of the pipeline.
  if (pitId.includes('-maven-')) continue;
  samples(`${pitId}: a syntax error in the student's file stops the run before any report is written`, async () => {
    const run = await runSample(pitId, 'compile-error');
    assert.is.not(run.exitCode, 0);
    assert.equal(run.tests, []);
    assert.match(run.output, /BankAccount\.java:\d+: error|File "wordstats\.py", line \d+|roman\.mjs:\d+/);
  });
}

samples('python-pytest-wordstats-v1: a planted pytest.py, conftest.py and pytest.ini cannot turn failures green', async () => {
  const fake = `import pathlib\npathlib.Path("test-reports").mkdir(exist_ok=True)\npathlib.Path("test-reports/junit.xml").write_text('<testsuites><testsuite name="x" tests="0"/></testsuites>')\nraise SystemExit(0)\n`;
  const run = await runSample('python-pytest-wordstats-v1', 'wrong', {
    'pytest.py': fake,
    'conftest.py': 'import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    outcome.get_result().outcome = "passed"\n',
    'tests/pytest.ini': '[pytest]\naddopts = -p no:junitxml\n',
  });
  assert.is.not(run.exitCode, 0);
  assert.is(idsOf(run.tests, 'failed').length, 3, run.output);
});

samples.run();

const golden = suite('golden');
let zips: string;
golden.before(async () => { zips = await mkdtemp(path.join(os.tmpdir(), 'golden-')); });
golden.after(async () => { await rm(zips, { recursive: true, force: true }); });
const config = loadConfig(process.env, { pitsDir });
const sandbox = sandboxFor(config);

for (const pitId of sampleIds) {
  golden(`${pitId}: each example grades to its golden result`, async () => {
    const pit = await loadPit(pitsDir, pitId);
    for (const example of variants) {
      const zipFile = path.join(zips, `${pitId}-${example}.zip`);
      await zipDirectory(path.join(examplesDir, pitId, example), zipFile, `${example}/`);
      const { result } = await gradeSubmission({ zipFile }, pit, { config, log: silentLogger, sandbox });
      await assertGolden(pitId, example, result);
    }
  });
}

golden.run();
