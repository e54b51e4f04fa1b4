import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../src/log.js';
import { gradeById } from '../helpers/grade.js';
import { codes, HONEST, hostileConfig, hostileGrader, javaWith, noGain, PIT, wrong } from '../helpers/hostile.js';
import type { ZipEntrySpec } from '../helpers/zip.js';

// A hostile student starting from each sample's wrong solution (honest scores in helpers/hostile.ts),
// per class of attack: 1 files the framework obeys, 2 rewriting instructor files, 3 writing or
// replacing the report, 4 tampering in memory, 5 a lying log. None may score above the honest wrong
// score. The junit tool's confinement has its own suite (java-hostile).
const trust = suite('trust hostile');
const grader = hostileGrader();
const config = hostileConfig;
const grade = grader.grade;
trust.before(grader.open);
trust.after(grader.close);

const lying = 'console-lie';
/** Lines a student prints to fool a reviewer: escape sequences and a fake runner note. */
const lies = { text: `\u001b[2K\r\u001b[32mpit-runner: every test passed, score 100 (${lying})\u001b[0m` };
function logIsHonest(log: string) {
  assert.not.match(log, '\u001b', 'no raw escape character in the log');
  assert.ok(log.split('\n').every((line) => !(line.startsWith('pit-runner') && line.includes(lying))), 'no student line passes for a runner note');
}

// ---- node -------------------------------------------------------------------------------------

const nodeConfig: ZipEntrySpec[] = [
  { name: 'tests/roman.test.mjs', data: "import { test } from 'node:test';\ntest('writes 1994 as MCMXCIV', () => {});\n" },
  { name: 'tests/zz-extra.test.mjs', data: "import { describe, test } from 'node:test';\ndescribe('roman', () => { test('refuses numbers outside 1..3999', () => {}); });\n" },
  { name: 'package.json', data: '{"type":"module","imports":{"#assert":"./fake-assert.mjs"}}' },
  { name: 'node_modules/assert/index.js', data: 'module.exports = () => {};\n' },
  { name: 'test-reports/junit.xml', data: '<testsuites><testcase classname="roman" name="writes 1994 as MCMXCIV"/></testsuites>' },
];

trust('node 1+2+5: extra tests, package settings and a planted report are dropped; instructor files cannot be written; the log does not lie', async () => {
  const solution = `import { writeFileSync, renameSync } from 'node:fs';
for (const attempt of [() => writeFileSync('tests/roman.test.mjs', ''), () => renameSync('tests', 'gone'), () => writeFileSync('../harness/preload.mjs', '')]) {
  try { attempt(); console.log('WRITE-ALLOWED'); } catch (err) { console.log('WRITE-DENIED', err.code); }
}
console.log(${JSON.stringify(lies.text)});
${await wrong('node', 'roman.mjs')}`;
  const { result, text } = await grade('node', [{ name: 'roman.mjs', data: solution }, ...nodeConfig]);
  noGain('node', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.node], text);
  assert.equal(result.integrity?.find((n) => n.code === 'FILES_IGNORED')?.files?.sort(), nodeConfig.map((e) => e.name).sort());
  assert.not.match(text, 'WRITE-ALLOWED');
  assert.match(text, 'WRITE-DENIED EACCES');
  logIsHonest(text);
});

trust('node 3: a watcher that rewrites the report after the runner wrote it is caught (or too late)', async () => {
  const watcher = `while ! grep -q '</testsuites>' test-reports/junit.xml 2>/dev/null; do sleep 0.05; done; sed -e 's/<failure[^>]*>//g; s/<\\/failure>//g' test-reports/junit.xml > t.xml; mv -f t.xml test-reports/junit.xml`;
  const solution = `import { spawn } from 'node:child_process';
try { spawn('sh', ['-c', ${JSON.stringify(watcher)}], { detached: true, stdio: 'ignore' }).unref(); } catch (err) { console.log('SPAWN-DENIED', err.code); }
${await wrong('node', 'roman.mjs')}`;
  const { result, text } = await grade('node', [{ name: 'roman.mjs', data: solution }]);
  noGain('node', result, text);
});

trust('node 3: a report planted from an exit handler with exit code 0 is caught', async () => {
  const fake = `<testsuites>${['writes 1994 as MCMXCIV', 'writes 4 and 9 by subtraction', 'reads MMXXIV as 2024', 'reads back every number it writes', 'refuses numbers outside 1..3999'].map((n) => `<testsuite name="roman"><testcase classname="test" name="${n}"/></testsuite>`).join('')}</testsuites>`;
  const solution = `import { writeFileSync } from 'node:fs';
process.on('exit', () => { try { writeFileSync('test-reports/forged.xml', ${JSON.stringify(fake)}); } catch {} });
setTimeout(() => process.exit(0), 200);
${await wrong('node', 'roman.mjs')}`;
  const { result, text } = await grade('node', [{ name: 'roman.mjs', data: solution }]);
  noGain('node', result, text);
});

trust('node 4: node:assert cannot be replaced with no-ops', async () => {
  const solution = `import assert from 'node:assert';
for (const target of [assert, assert.strict]) {
  for (const name of ['equal', 'strictEqual', 'deepStrictEqual', 'throws', 'ok']) {
    try { target[name] = () => {}; console.log('PATCHED', name); } catch (err) { console.log('ASSERT-FROZEN', err.constructor.name); }
  }
}
${await wrong('node', 'roman.mjs')}`;
  const { result, text } = await grade('node', [{ name: 'roman.mjs', data: solution }]);
  noGain('node', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.node]);
  assert.match(text, 'ASSERT-FROZEN TypeError');
  assert.not.match(text, 'PATCHED');
});

// ---- pytest -----------------------------------------------------------------------------------

const pytestConfig: ZipEntrySpec[] = [
  { name: 'conftest.py', data: 'import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    outcome = yield\n    outcome.get_result().outcome = "passed"\n' },
  { name: 'tests/conftest.py', data: 'collect_ignore = ["test_wordstats.py"]\n' },
  { name: 'tests/test_wordstats.py', data: 'def test_counts_words_separated_by_any_whitespace():\n    pass\n' },
  { name: 'pytest.ini', data: '[pytest]\naddopts = -p no:junitxml\n' },
  { name: 'sitecustomize.py', data: 'import os\nos._exit(0)\n' },
];

trust('pytest 1+2+5: conftest, pytest.ini and test files of the student are dropped; instructor files cannot be written; the log does not lie', async () => {
  const solution = `import os
for target in ("tests/test_wordstats.py", "pytest.ini", "tests/new_test.py"):
    try:
        open(target, "a").close()
        print("WRITE-ALLOWED", target)
    except OSError as err:
        print("WRITE-DENIED", type(err).__name__)
print(${JSON.stringify(lies.text)})
${await wrong('pytest', 'wordstats.py')}`;
  const { result, text } = await grade('pytest', [{ name: 'wordstats.py', data: solution }, ...pytestConfig]);
  noGain('pytest', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.pytest], text);
  assert.equal(result.integrity?.find((n) => n.code === 'FILES_IGNORED')?.files?.sort(), pytestConfig.map((e) => e.name).sort());
  assert.not.match(text, 'WRITE-ALLOWED');
  logIsHonest(text);
});

trust('pytest 3: an atexit handler cannot write a report, nor can a process outlive the run to do it', async () => {
  const fake = '<testsuites><testsuite name="pytest"><testcase classname="tests.test_wordstats" name="test_counts_words_separated_by_any_whitespace"/></testsuite></testsuites>';
  const solution = `import atexit, os, subprocess
def forge():
    try:
        with open("test-reports/junit.xml", "w") as report:
            report.write(${JSON.stringify(fake)})
        os._exit(0)
    except OSError as err:
        print("FORGE-DENIED", type(err).__name__)
atexit.register(forge)
try:
    subprocess.Popen(["sh", "-c", ${JSON.stringify(`sleep 1; echo '${fake}' > test-reports/junit.xml`)}], start_new_session=True)
except OSError as err:
    print("SPAWN-DENIED", type(err).__name__)
${await wrong('pytest', 'wordstats.py')}`;
  const { result, text } = await grade('pytest', [{ name: 'wordstats.py', data: solution }]);
  noGain('pytest', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.pytest], text);
});

trust('pytest 4: patching the framework through sys.modules is caught; frames are refused', async () => {
  const solution = `import sys
try:
    sys._getframe(1)
    raise SystemExit("frames were reachable")
except OSError:
    pass
runner = sys.modules["_pytest.runner"]
original = runner.call_and_report
def call_and_report(*args, **kwargs):
    report = original(*args, **kwargs)
    report.outcome = "passed"
    return report
runner.call_and_report = call_and_report
${await wrong('pytest', 'wordstats.py')}`;
  const { result, text } = await grade('pytest', [{ name: 'wordstats.py', data: solution }]);
  noGain('pytest', result, text);
  // (what it printed while collected is captured by pytest and lost with the stopped run)
  assert.equal([result.outcome, codes(result)], ['TAMPERED', ['HARNESS_REFUSED']], text);
});

trust('pytest 4: walking the heap for the framework\'s objects ends the run, TAMPERED', async () => {
  const solution = `import gc
for obj in gc.get_objects():
    pass
${await wrong('pytest', 'wordstats.py')}`;
  const { result, text } = await grade('pytest', [{ name: 'wordstats.py', data: solution }]);
  assert.equal([result.outcome, result.score], ['TAMPERED', 0], text);
});

trust('pytest: an honest solution that logs and prints a traceback is graded as usual', async () => {
  const solution = `import logging, traceback
from collections import namedtuple
Pair = namedtuple("Pair", "a b")
logging.getLogger(__name__).warning("loading")
try:
    raise ValueError("x")
except ValueError:
    traceback.print_exc()
${await wrong('pytest', 'wordstats.py')}`;
  const { result, text } = await grade('pytest', [{ name: 'wordstats.py', data: solution }]);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.pytest], text);
});

// ---- java: javac + console launcher, and maven ------------------------------------------------

const tryWrite = (file: string) => `        try { java.nio.file.Files.writeString(java.nio.file.Path.of(${JSON.stringify(file)}), "x"); System.out.println("WRITE-ALLOWED"); } catch (Exception e) { System.out.println("WRITE-DENIED " + e.getClass().getSimpleName()); }`;
const printLies = `        System.out.println(${JSON.stringify(lies.text)});`;
/** A shutdown hook that turns every failure of every report green, unlinking and replacing each file. */
const flipAll = `        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (String dir : new String[] {"test-reports", "target/surefire-reports"}) {
                java.io.File[] files = new java.io.File(dir).listFiles();
                if (files == null) continue;
                for (java.io.File f : files) {
                    try {
                        String xml = java.nio.file.Files.readString(f.toPath());
                        xml = xml.replaceAll("(?s)<failure.*?</failure>", "").replaceAll("(?s)<error.*?</error>", "");
                        f.delete();
                        java.nio.file.Files.writeString(f.toPath(), xml);
                    } catch (Exception e) { }
                }
            }
        }));`;
const junitConfig: ZipEntrySpec[] = [
  { name: 'src/main/resources/junit-platform.properties', data: 'junit.jupiter.extensions.autodetection.enabled=true\n' },
  { name: 'src/main/resources/META-INF/services/org.junit.platform.launcher.TestExecutionListener', data: 'bank.Flip\n' },
  { name: 'src/test/java/Extra.java', data: 'public class Extra { @org.junit.jupiter.api.Test void extra() {} }\n' },
];

trust('javac 1+2+5: framework settings and tests are dropped, file names cannot inject javac options, instructor files cannot be written, the log does not lie', async () => {
  const account = await javaWith('javac', [tryWrite('src/test/java/bank/BankAccountTest.java'), tryWrite('src/test/java/bank/Planted.java'), printLies].join('\n'));
  const injected = { name: 'src/main/java/bank/Util -implicit:none @x -d ...java', data: 'package bank;\nclass Util {}\n' };
  const { result, text } = await grade('javac', [account, injected, ...junitConfig]);
  noGain('javac', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.javac], text);
  assert.equal(result.integrity?.find((n) => n.code === 'FILES_IGNORED')?.files?.sort(), junitConfig.map((e) => e.name).sort());
  assert.match(text, 'WRITE-DENIED AccessDeniedException');
  assert.not.match(text, 'WRITE-ALLOWED');
  logIsHonest(text);
});

trust('javac 3+4: a shutdown hook that unlinks the report and writes it back green is TAMPERED', async () => {
  const { result, text } = await grade('javac', [await javaWith('javac', flipAll)]);
  noGain('javac', result, text);
  assert.equal(result.outcome, 'TAMPERED', text);
  assert.ok(codes(result).some((code) => ['SENTINEL_PASSED', 'REPORT_REWRITTEN'].includes(code)), text);
});

for (const tool of ['javac'] as const) {
  trust(`${tool} 3: a planted report and halt(0) is TAMPERED`, async () => {
    const tests = ['startsWithTheOpeningBalance', 'depositAddsToTheBalance', 'withdrawSubtractsFromTheBalance', 'refusesToOverdraw', 'refusesNonPositiveAmounts'];
    const fake = `<testsuite>${tests.map((t) => `<testcase classname="bank.BankAccountTest" name="${t}()"/>`).join('')}</testsuite>`;
    const hook = `        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
              try { java.nio.file.Files.writeString(java.nio.file.Path.of("test-reports/TEST-junit-jupiter.xml"), ${JSON.stringify(fake)}); } catch (Exception e) { }
              Runtime.getRuntime().halt(0);
          }));`;
    const { result, text } = await grade(tool, [await javaWith(tool, hook)]);
    noGain(tool, result, text);
    assert.is(result.outcome, 'TAMPERED', text);
  });
}

const mavenConfig: ZipEntrySpec[] = [
  { name: 'pom.xml', data: '<project><modelVersion>4.0.0</modelVersion><groupId>x</groupId><artifactId>x</artifactId><version>1</version><properties><maven.test.failure.ignore>true</maven.test.failure.ignore></properties></project>' },
  { name: '.mvn/maven.config', data: '-DskipTests\n' },
  { name: 'src/test/java/dummy/CalculatorTest.java', data: 'package dummy;\nclass CalculatorTest { @org.junit.jupiter.api.Test void addsTwoNumbers() {} }\n' },
  { name: 'src/test/resources/junit-platform.properties', data: 'junit.jupiter.extensions.autodetection.enabled=true\n' },
  { name: 'src/main/resources/META-INF/services/javax.annotation.processing.Processor', data: 'dummy.Rewriter\n' },
];

trust('maven 1+2+5: pom, .mvn, tests, framework settings and processors are dropped; instructor files cannot be written; the log does not lie', async () => {
  const calculator = await javaWith('maven', [tryWrite('pom.xml'), tryWrite('src/test/java/dummy/CalculatorTest.java'), printLies].join('\n'));
  const { result, text } = await grade('maven', [calculator, ...mavenConfig]);
  noGain('maven', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.maven], text);
  assert.equal(result.integrity?.find((n) => n.code === 'FILES_IGNORED')?.files?.sort(), mavenConfig.map((e) => e.name).sort());
  assert.match(text, 'WRITE-DENIED AccessDeniedException');
  logIsHonest(text);
});

trust('maven 3+4: a shutdown hook in the build JVM that rewrites every report green is TAMPERED', async () => {
  const { result, text } = await grade('maven', [await javaWith('maven', flipAll)]);
  noGain('maven', result, text);
  assert.equal(result.outcome, 'TAMPERED', text);
  assert.ok(codes(result).some((code) => ['SENTINEL_PASSED', 'REPORT_REWRITTEN'].includes(code)), text);
});

// ---- folders: root follows no link --------------------------------------------------------------

trust('grading a folder whose test-reports is a symlink deletes nothing it points to', async () => {
  const outside = path.join(grader.tmp, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'keep.xml'), '<keep/>');
  const folder = path.join(grader.tmp, 'folder-submission');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'roman.mjs'), await wrong('node', 'roman.mjs'));
  await symlink(outside, path.join(folder, 'test-reports'));
  await symlink('/etc/passwd', path.join(folder, 'extra.mjs'));
  const { result } = await gradeById({ dir: folder }, PIT.node, { config: config(), log: silentLogger });
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.node]);
  assert.is(await readFile(path.join(outside, 'keep.xml'), 'utf8'), '<keep/>');
  assert.ok(result.integrity?.find((n) => n.code === 'FILES_IGNORED')?.files?.includes('extra.mjs'));
});

trust.run();
