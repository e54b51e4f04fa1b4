import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import { testId } from '../../src/grading/reports.js';
import { JUNIT_CONSOLE_JAR, JUNIT_RUNNER_BUILD } from '../../src/pits/junit.js';
import { silentLogger } from '../../src/log.js';
import { gradeSubmission } from '../../src/grading/pipeline.js';
import { completeAnswers, createPit } from '../../src/pits/new.js';
import { validatePits } from '../../src/pits/validate.js';
import { verifyPit } from '../../src/pits/verify.js';
import { gradeById } from '../helpers/grade.js';
import { javaExercises, writeJavaExercises } from '../helpers/java-exercises.js';
import { sandboxFor } from '../helpers/sandbox.js';

// The junit build tool through the whole pipeline and the real sandbox: the same grades as Maven on
// exercism-style exercises, compile errors, test output, and the sandbox's time and memory bounds.
const junit = suite('junit tool');
let tmp: string;
let pitsDir: string;
let solutions: string;
// The environment's sandbox uids: runs side by side sweep only their own.
const config = () => loadConfig({ PITS_DIR: pitsDir, RUNNER_WORK_DIR: path.join(tmp, 'work'), RUNNER_SANDBOX_UID: process.env.RUNNER_SANDBOX_UID, RUNNER_SANDBOX_GID: process.env.RUNNER_SANDBOX_GID });
const grade = async (pitId: string, dir: string) => gradeById({ dir }, pitId, { config: config(), log: silentLogger });

junit.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'junit-tool-'));
  await chmod(tmp, 0o711); // the sandbox user must traverse to its workspace
  pitsDir = path.join(tmp, 'pits');
  solutions = path.join(tmp, 'solutions');
  await writeJavaExercises(pitsDir, solutions);
});
junit.after(async () => { await rm(tmp, { recursive: true, force: true }); });

/** A one-off PIT (junit, the given test class) and a solution folder; returns the solution folder. */
async function onePit(pitId: string, pit: Record<string, unknown>, test: string, solution: Record<string, string>): Promise<string> {
  await mkdir(path.join(pitsDir, pitId, 'src/test/java'), { recursive: true });
  await writeFile(path.join(pitsDir, `${pitId}.json`), JSON.stringify({ language: 'java', buildTool: 'junit', testCommand: 'pit-junit', maxTimeoutMs: 30_000, ...pit }));
  await writeFile(path.join(pitsDir, pitId, 'src/test/java/ProbeTest.java'), test);
  const dir = path.join(solutions, pitId);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(solution)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

const statuses = (tests: Array<{ classname: string; name: string; status: string }>) =>
  Object.fromEntries(tests.map((t) => [testId(t), t.status]).sort());

for (const exercise of javaExercises) {
  junit(`${exercise.name} (${exercise.dependencies.map((d) => d.split(':')[1]).join(', ')}): the same outcome, score and test results as Maven`, async () => {
    const dir = path.join(solutions, exercise.name);
    const viaJunit = (await grade(`${exercise.name}-junit-v1`, dir)).result;
    const viaMaven = (await grade(`${exercise.name}-maven-v1`, dir)).result;
    assert.equal([viaJunit.status, viaJunit.outcome, viaJunit.score], [viaMaven.status, viaMaven.outcome, viaMaven.score]);
    assert.equal(statuses(viaJunit.tests), statuses(viaMaven.tests));
    assert.ok(viaMaven.outcome === 'COMPILE_ERROR' || (viaMaven.score > 0 && viaMaven.score < 100), `${exercise.name}: a grade worth comparing (${viaMaven.outcome} ${viaMaven.score})`);
  });
}

junit('a compile error is COMPILE_ERROR, with javac\'s message in the result and in the log', async () => {
  const { result, log } = await grade('two-fer-junit-v1', path.join(solutions, 'two-fer'));
  assert.equal([result.outcome, result.score, result.tests], ['COMPILE_ERROR', 0, []]);
  assert.match(result.error?.message ?? '', /src\/main\/java\/Twofer\.java:3: ';' expected/);
  assert.match(log.toString(), /Twofer\.java:3: error: ';' expected/);
});

junit('what the tested code prints lands in the log, next to each test\'s result', async () => {
  const { result, log } = await grade('leap-junit-v1', path.join(solutions, 'leap'));
  assert.is(result.outcome, 'FAILED');
  assert.match(log.toString(), 'checking 2015');
  assert.match(log.toString(), /FAILED +LeapTest#yearDivisibleBy100IsCommon/);
});

junit('a test that never ends is stopped by the sandbox: TIME_LIMIT', async () => {
  const dir = await onePit('java-hang', { maxTimeoutMs: 4000 },
    'import org.junit.jupiter.api.Test;\nclass ProbeTest { @Test void waits() { Spin.forever(); } }\n',
    { 'src/main/java/Spin.java': 'class Spin { static void forever() { while (true) Thread.onSpinWait(); } }\n' });
  const { result } = await grade('java-hang', dir);
  assert.equal([result.status, result.outcome, result.score], ['DONE', 'TIME_LIMIT', 0]);
});

junit('testTimeoutMs stops an endless test alone: it fails, the others keep their results', async () => {
  const dir = await onePit('java-slow', { testTimeoutMs: 1000 },
    'import org.junit.jupiter.api.Test;\nimport static org.junit.jupiter.api.Assertions.assertEquals;\n'
    + 'class ProbeTest { @Test void waits() throws Exception { Thread.sleep(60_000); } @Test void adds() { assertEquals(2, 1 + 1); } }\n',
    {});
  const { result, log } = await grade('java-slow', dir);
  assert.equal([result.outcome, statuses(result.tests)], ['FAILED', { 'ProbeTest#adds': 'passed', 'ProbeTest#waits': 'error' }], log.toString());
});

junit('the heap bound of the sandbox holds in the helper\'s JVM: MEMORY_LIMIT', async () => {
  const dir = await onePit('java-hog', { limits: { memoryMb: 96 } },
    'import org.junit.jupiter.api.Test;\nclass ProbeTest { @Test void hoards() { Hog.eat(); } }\n',
    { 'src/main/java/Hog.java': 'import java.util.*;\nclass Hog { static void eat() { List<long[]> all = new ArrayList<>(); while (true) all.add(new long[1 << 20]); } }\n' });
  const { result, log } = await grade('java-hog', dir);
  assert.equal([result.outcome, result.score], ['MEMORY_LIMIT', 0], log.toString());
  assert.match(log.toString(), /-Xmx96m/);
});

junit('a submitted class named like one of JUnit\'s does not replace it: failures stay failures', async () => {
  const fake = 'package org.junit.jupiter.api;\npublic final class Assertions {\n'
    + '  public static void assertTrue(boolean condition) {}\n  public static void assertFalse(boolean condition) {}\n}\n';
  const dir = path.join(tmp, 'leap-with-fake-junit');
  await mkdir(path.join(dir, 'src/main/java/org/junit/jupiter/api'), { recursive: true });
  await writeFile(path.join(dir, 'src/main/java/Leap.java'), javaExercises[0]!.solution['src/main/java/Leap.java']!);
  await writeFile(path.join(dir, 'src/main/java/org/junit/jupiter/api/Assertions.java'), fake);
  const { result } = await grade('leap-junit-v1', dir);
  assert.equal([result.outcome, result.score], ['FAILED', 60]);
});

junit('a Maven PIT switched to junit by its buildTool alone grades as Maven does; validate names what it ignores', async () => {
  const maven = JSON.parse(await readFile(path.join(pitsDir, 'hamming-maven-v1.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(pitsDir, 'hamming-switched-v1.json'), JSON.stringify({ ...maven, buildTool: 'junit', reports: 'target/surefire-reports/TEST-*.xml' }));
  const dir = path.join(solutions, 'hamming');
  const [switched, viaMaven] = [(await grade('hamming-switched-v1', dir)).result, (await grade('hamming-maven-v1', dir)).result];
  assert.equal([switched.outcome, switched.score, statuses(switched.tests)], [viaMaven.outcome, viaMaven.score, statuses(viaMaven.tests)]);
  const [report] = await validatePits(pitsDir, ['hamming-switched-v1'], { log: silentLogger });
  assert.equal(report!.problems, []);
  assert.ok(report!.warnings.some((w) => w.startsWith('testCommand: \'mvn -o -B -q -s settings.xml test\' is ignored')), report!.warnings.join('\n'));
  assert.ok(report!.warnings.some((w) => w.startsWith('reports: ignored')), report!.warnings.join('\n'));
});

junit('validate refuses a report glob Maven never writes, and advises junit for a Java PIT on Maven', async () => {
  const maven = JSON.parse(await readFile(path.join(pitsDir, 'leap-maven-v1.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(pitsDir, 'leap-misreported-v1.json'), JSON.stringify({ ...maven, reports: 'test-reports/*.xml' }));
  const [misreported, plain] = await validatePits(pitsDir, ['leap-misreported-v1', 'leap-maven-v1'], { log: silentLogger });
  assert.equal(misreported!.problems, ['reports: test-reports/*.xml is not where maven writes its reports (target/surefire-reports/): set "reports": "target/surefire-reports/TEST-*.xml" or remove the field']);
  assert.equal(plain!.problems, []);
  assert.ok(plain!.warnings.some((w) => /buildTool maven: .*detected, not prevented.*"buildTool": "junit"/.test(w)), plain!.warnings.join('\n'));
});

junit('pit new proposes junit for Java, and what it writes validates and verifies', async () => {
  const answers = completeAnswers({ id: 'java-junit-new-v1', language: 'java' });
  assert.is(answers.buildTool, 'junit');
  await createPit(answers, { pitsDir, overwrite: false, log: silentLogger });
  const [report] = await validatePits(pitsDir, ['java-junit-new-v1'], { log: silentLogger });
  assert.equal(report!.problems, []);
  const empty = path.join(tmp, 'empty-solution');
  await mkdir(empty, { recursive: true });
  const verified = await verifyPit({ pitId: 'java-junit-new-v1', solution: empty, check: false }, { config: config(), log: silentLogger, grade: gradeSubmission, sandbox: sandboxFor(config()) });
  assert.equal([verified.ok, verified.testIds], [true, ['ExampleTest#addsNumbers']], verified.problems.join('\n'));
});

junit('run by hand, the helper leaves descriptors 7 and 8 alone when they are not the runner\'s channel', async () => {
  // the JVM may itself open a class-path jar as descriptor 7: reading and closing it as a key broke class loading
  const project = path.join(tmp, 'by-hand');
  await cp(path.join(JUNIT_RUNNER_BUILD, '..', 'training'), project, { recursive: true });
  const [seven, eight] = [path.join(tmp, 'fd7'), path.join(tmp, 'fd8')];
  await writeFile(seven, 'k'.repeat(64));
  await writeFile(eight, '');
  const files = await Promise.all([open(seven, 'r'), open(eight, 'w')]);
  try {
    const java = spawnSync('java', ['-Djava.security.manager=allow', '--add-opens=java.base/java.io=ALL-UNNAMED', '-cp', `${path.join(JUNIT_RUNNER_BUILD, 'pit-junit.jar')}:${JUNIT_CONSOLE_JAR}`, 'pitrunner.junit.Main'], {
      cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', files[0].fd, files[1].fd],
    });
    assert.match(java.stdout, /^PASSED  training\.CounterTest#startsAtZero/m, java.stderr);
    assert.is(await readFile(eight, 'utf8'), '', 'no record went to a file that was not the channel');
  } finally {
    await Promise.all(files.map((file) => file.close()));
  }
});

junit.run();
