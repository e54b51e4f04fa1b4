import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compilerComplaints, scoreRun, type RunFacts, type Trust } from '../../src/grading/score.js';
import type { TestResult, TestStatus } from '../../src/grading/types.js';

const run = (facts: Partial<RunFacts> = {}): RunFacts => ({ setupFailed: false, exitCode: 0, timedOut: false, memoryLimited: false, outputLimited: false, log: '', ...facts });
const t = (id: string, status: TestStatus = 'passed'): TestResult => {
  const [classname, name] = id.split('#') as [string, string];
  return { classname, name, status, timeMs: 1 };
};
const expected = ['Calc#adds', 'Calc#subtracts', 'Calc#divides', 'Calc#multiplies'];

const score = suite('score');

score('every test passed → PASSED 100', () => {
  const result = scoreRun({}, [t('Calc#adds'), t('Calc#subtracts')], run());
  assert.is(result.outcome, 'PASSED');
  assert.is(result.score, 100);
  assert.equal(result.summary, { total: 2, passed: 2, failed: 0, errors: 0, skipped: 0 });
});

score('some failed → FAILED with the passed share, two decimals', () => {
  const result = scoreRun({}, [t('Calc#adds'), t('Calc#subtracts', 'failed'), t('Calc#divides', 'error')], run({ exitCode: 1 }));
  assert.is(result.outcome, 'FAILED');
  assert.is(result.score, 33.33);
  assert.equal(result.summary, { total: 3, passed: 1, failed: 1, errors: 1, skipped: 0 });
});

score('a skipped test is not a passed one', () => {
  const result = scoreRun({}, [t('Calc#adds'), t('Calc#subtracts', 'skipped')], run());
  assert.is(result.outcome, 'FAILED');
  assert.is(result.score, 50);
});

score('weights decide the share', () => {
  const result = scoreRun({ weights: { 'Calc#adds': 3 } }, [t('Calc#adds'), t('Calc#subtracts', 'failed')], run({ exitCode: 1 }));
  assert.is(result.score, 75);
});

score('an expected test that did not run counts as failed', () => {
  const result = scoreRun({ expectedTests: expected }, [t('Calc#adds'), t('Calc#subtracts')], run());
  assert.is(result.outcome, 'FAILED');
  assert.is(result.score, 50);
  assert.equal(result.tests.map((x) => [x.classname, x.name, x.status, x.message]).slice(2), [
    ['Calc', 'divides', 'failed', 'did not run'],
    ['Calc', 'multiplies', 'failed', 'did not run'],
  ]);
});

score('a fake report with unexpected tests is ignored and noted', () => {
  const forged = [t('Calc#adds'), t('Fake#one'), t('Fake#two'), t('Fake#three')];
  const result = scoreRun({ expectedTests: expected }, forged, run());
  assert.is(result.score, 25);
  assert.is(result.summary.total, 4);
  assert.not.ok(result.tests.some((x) => x.classname === 'Fake'));
  assert.equal(result.notes, ['ignored 3 unexpected tests: Fake#one, Fake#two, Fake#three']);
});

score('exiting 0 before any expected test ran is NO_TESTS with score 0', () => {
  const result = scoreRun({ expectedTests: expected }, [t('Fake#one')], run());
  assert.is(result.outcome, 'NO_TESTS');
  assert.is(result.score, 0);
  assert.is(result.summary.failed, 4);
});

score('nothing reported and exit 0 → NO_TESTS', () => {
  assert.is(scoreRun({}, [], run()).outcome, 'NO_TESTS');
});

score('limits win over test results', () => {
  const reported = [t('Calc#adds')];
  assert.is(scoreRun({}, reported, run({ timedOut: true, exitCode: null })).outcome, 'TIME_LIMIT');
  assert.is(scoreRun({}, reported, run({ memoryLimited: true, exitCode: 137 })).outcome, 'MEMORY_LIMIT');
  assert.is(scoreRun({}, [], run({ outputLimited: true, exitCode: null })).outcome, 'OUTPUT_LIMIT');
});

score('all passed but a non-zero exit is never PASSED: the harness did not finish', () => {
  const result = scoreRun({}, [t('Calc#adds')], run({ exitCode: 3 }));
  assert.is(result.outcome, 'FAILED');
  assert.equal(result.integrity.map((n) => n.code), ['HARNESS_UNFINISHED']);
  assert.match(result.integrity[0]!.message, /exit code 3/);
});

const sentinel = { id: 'Calc#sentinelab12', nonce: 'n0nce' };
const failing = (id: string, message: string): TestResult => ({ ...t(id, 'failed'), message });
const honest = failing(sentinel.id, 'pit-runner sentinel n0nce: this test always fails');

score('the sentinel failing with its nonce is the harness\'s: scored without it', () => {
  const result = scoreRun({ expectedTests: expected }, [...expected.map((id) => t(id)), honest], run({ exitCode: 1 }), { integrity: [], sentinel });
  assert.equal([result.outcome, result.score, result.summary.total], ['PASSED', 100, 4]);
  assert.not.ok(result.tests.some((x) => x.name === 'sentinelab12'));
});

for (const [name, reported, exitCode, code] of [
  ['a report where the sentinel passed', [...expected.map((id) => t(id)), t(sentinel.id)], 1, 'SENTINEL_PASSED'],
  ['a report where the sentinel was skipped', [...expected.map((id) => t(id)), t(sentinel.id, 'skipped')], 1, 'SENTINEL_PASSED'],
  ['a report without the sentinel', expected.map((id) => t(id)), 1, 'SENTINEL_MISSING'],
  ['a sentinel failing with another message', [...expected.map((id) => t(id)), failing(sentinel.id, 'failed')], 1, 'SENTINEL_PASSED'],
  ['an honest-looking report and exit code 0 (halt, os._exit)', [...expected.map((id) => t(id)), honest], 0, 'HARNESS_UNFINISHED'],
] as Array<[string, TestResult[], number, string]>) {
  score(`${name} is TAMPERED with score 0 and the reason`, () => {
    const result = scoreRun({ expectedTests: expected }, reported, run({ exitCode }), { integrity: [], sentinel });
    assert.equal([result.outcome, result.score], ['TAMPERED', 0]);
    assert.equal(result.integrity.map((n) => n.code), [code]);
    assert.is(result.message, result.integrity[0]!.message);
  });
}

score('a missing sentinel is the PIT\'s only with all three facts: a command that leaves it out, reports written once, only expected tests', () => {
  const reports = { files: 1, written: 1 };
  const leftOut = '-Dtest=… selects test classes';
  const grade = (reported: TestResult[], trust: Partial<Trust>) => scoreRun({ expectedTests: expected }, reported, run({ exitCode: 0 }), { integrity: [], sentinel, ...trust });
  assert.is(grade(expected.map((id) => t(id)), { reports, sentinelLeftOut: leftOut }).outcome, 'PIT_MISCONFIGURED');
  assert.is(grade(expected.map((id) => t(id)), { reports }).outcome, 'TAMPERED');
  assert.is(grade(expected.map((id) => t(id)), { sentinelLeftOut: leftOut }).outcome, 'TAMPERED');
  assert.is(grade([...expected.map((id) => t(id)), t('Calc#invented')], { reports, sentinelLeftOut: leftOut }).outcome, 'TAMPERED');
  assert.is(scoreRun({}, expected.map((id) => t(id)), run({ exitCode: 0 }), { integrity: [], sentinel, reports, sentinelLeftOut: leftOut }).outcome, 'TAMPERED');
});

score('no report file at all is the PIT\'s only when its reports look where its tool never writes', () => {
  const misplaced = { integrity: [], reports: { files: 0, written: 0 }, reportsMisplaced: 'build/*.xml outside test-reports/' };
  assert.is(scoreRun({ expectedTests: expected }, [], run({ exitCode: 1 }), misplaced).outcome, 'PIT_MISCONFIGURED');
  assert.is(scoreRun({ expectedTests: expected }, [], run({ exitCode: 0 }), misplaced).outcome, 'PIT_MISCONFIGURED');
  // a solution that exits 0 before any report is written looks like a command that runs no tests: not the PIT's, on that alone
  assert.is(scoreRun({ expectedTests: expected }, [], run({ exitCode: 0 }), { integrity: [], reports: { files: 0, written: 0 } }).outcome, 'NO_TESTS');
  assert.is(scoreRun({ expectedTests: expected }, [], run({ exitCode: 1 }), { integrity: [], reports: { files: 0, written: 0 } }).outcome, 'COMPILE_ERROR');
});

score('without any expected test reported the sentinel is not asked for: a compile error stays one', () => {
  const result = scoreRun({ expectedTests: expected }, [], run({ exitCode: 1, log: mavenLog }), { integrity: [], sentinel });
  assert.is(result.outcome, 'COMPILE_ERROR');
});

score('reports that could not all be read are UNSCORABLE, score 0, whatever they say', () => {
  const integrity = [{ code: 'REPORTS_OVER_BUDGET' as const, message: '600 report files; at most 500 are read' }];
  const result = scoreRun({}, [t('Calc#adds')], run(), { integrity });
  assert.equal([result.outcome, result.score, result.message], ['UNSCORABLE', 0, '600 report files; at most 500 are read']);
  const late = scoreRun({}, [t('Calc#adds')], run({ timedOut: true }), { integrity });
  assert.equal([late.outcome, late.score], ['TIME_LIMIT', 0]);
});

const mavenLog = `\x1b[0m\x1b[0m[ERROR] COMPILATION ERROR :
[ERROR] /tmp/pit-runner/sub-x/submission/src/main/java/dummy/Calculator.java:[3,45] cannot find symbol
  symbol:   variable c
  location: class dummy.Calculator
[ERROR] /tmp/pit-runner/sub-x/submission/src/main/java/dummy/Calculator.java:[4,27] incompatible types: java.lang.String cannot be converted to int
[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.10.1:compile (default-compile) on project dummy: Compilation failure: Compilation failure:
[ERROR] /tmp/pit-runner/sub-x/submission/src/main/java/dummy/Calculator.java:[3,45] cannot find symbol
[ERROR]   symbol:   variable c
[ERROR]   location: class dummy.Calculator
[ERROR] -> [Help 1]`;

score('build failed without reports → COMPILE_ERROR quoting the compiler (maven)', () => {
  const result = scoreRun({ expectedTests: expected }, [], run({ exitCode: 1, log: mavenLog }));
  assert.is(result.outcome, 'COMPILE_ERROR');
  assert.is(result.score, 0);
  assert.is(result.message, [
    'the build failed (exit code 1) before any test ran:',
    'src/main/java/dummy/Calculator.java:3: cannot find symbol (symbol: variable c)',
    'src/main/java/dummy/Calculator.java:4: incompatible types: java.lang.String cannot be converted to int',
  ].join('\n'));
});

score('quotes javac errors from a failed setup command', () => {
  const log = `$ javac -d build @build/sources.txt\nsrc/main/java/bank/BankAccount.java:12: error: ';' expected\n    balance += amount\n                     ^\n1 error\n`;
  const result = scoreRun({}, [], run({ setupFailed: true, exitCode: 1, log }));
  assert.is(result.outcome, 'COMPILE_ERROR');
  assert.match(result.message!, /^a setup command failed before any test ran:\nsrc\/main\/java\/bank\/BankAccount.java:12: ';' expected$/);
});

score('a pytest collection failure alone is a COMPILE_ERROR', () => {
  const log = `test_sol.py:1: in <module>\n    from solution import add\nE     File "/tmp/w/submission/solution.py", line 2\nE       return a +\nE                 ^\nE   SyntaxError: invalid syntax\n`;
  const collection: TestResult = { classname: '', name: 'tests.test_sol', status: 'error', timeMs: 0, message: 'collection failure' };
  const result = scoreRun({}, [collection], run({ exitCode: 2, log }));
  assert.is(result.outcome, 'COMPILE_ERROR');
  assert.match(result.message!, /solution.py:2: SyntaxError: invalid syntax/);
});

score('quotes node syntax errors', () => {
  const log = `file:///tmp/w/submission/roman.mjs:2\n  return a +;\n            ^\n\nSyntaxError: Unexpected token ';'\n    at compileSourceTextModule (node:internal/modules/esm/utils:346:16)\n`;
  assert.equal(compilerComplaints(log), ["roman.mjs:2: SyntaxError: Unexpected token ';'"]);
});

score('a failed build with nothing recognisable still says so', () => {
  const result = scoreRun({}, [], run({ exitCode: 1, log: 'something odd happened' }));
  assert.is(result.message, 'the build failed (exit code 1) before any test ran; see the log');
});

score.run();
