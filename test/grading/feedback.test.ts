import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { studentFeedback } from '../../src/grading/feedback.js';
import { harnessEnvironment } from '../../src/grading/harness-env.js';
import { parseJUnitXml } from '../../src/grading/reports.js';
import type { GradeResult, TestResult } from '../../src/grading/types.js';
import { formatResult } from '../../src/report/formats.js';
import { terminalReport } from '../../src/report/terminal.js';

const feedback = suite('feedback');

const test = (name: string, status: TestResult['status'], message?: string, hidden?: true): TestResult =>
  ({ name, classname: 'CalcTest', status, timeMs: 3, ...(message && { message }), ...(hidden && { hidden }) });

/** A result of two runs, as combineRuns makes it: the hidden run's words only in its own record and labelled fields. */
function result(hiddenFeedback: 'counts' | 'none' = 'counts'): GradeResult {
  const tests = [
    test('adds', 'passed'),
    test('subtracts', 'failed', 'expected 1 but was 2'),
    test('secretOverflowEdge', 'failed', 'expected 2147483647 but was -1 (secret hint)', true),
    test('secretZeroCase', 'passed', undefined, true),
  ];
  const visible = { outcome: 'FAILED' as const, score: 50, summary: { total: 2, passed: 1, failed: 1, errors: 0, skipped: 0 }, exitCode: 1, timedOut: false, executeMs: 400, notes: ['ignored 1 unexpected test\nsecond line'] };
  const hidden = { ...visible, notes: ['hidden run: CalcTest#secretOverflowEdge said secret hint'], error: { code: 'FAILED', message: 'SecretTest.java:12: secretOverflowEdge() not found' } };
  return {
    pitId: 'calc', status: 'DONE', outcome: 'FAILED', score: 50,
    summary: { total: 4, passed: 2, failed: 2, errors: 0, skipped: 0 }, tests,
    timings: { unpackMs: 1, executeMs: 900, scoreMs: 2, totalMs: 950 }, exitCode: 1, timedOut: false, logBytes: 10, logTruncated: false,
    notes: [...visible.notes, ...hidden.notes],
    error: { code: 'X', message: 'hidden run: SecretTest.java:12: secretOverflowEdge() not found\nline two' },
    runs: { visible, hidden, hiddenFeedback },
  };
}

const hiddenWords = ['secretOverflowEdge', 'secretZeroCase', 'secret hint', 'SecretTest'];

feedback('the student view counts hidden tests and names none of them, anywhere', () => {
  const student = studentFeedback(result());
  assert.equal(student.tests.map((t) => t.name), ['adds', 'subtracts']);
  assert.equal(student.hidden, { total: 2, failed: 1 });
  assert.equal(student.summary.total, 4);
  const text = JSON.stringify(student);
  for (const word of hiddenWords) assert.not.match(text, word);
  assert.match(text, 'second line');
});

feedback('hiddenFeedback none: the student view has the visible run alone, and the score', () => {
  const student = studentFeedback(result('none'));
  assert.is(student.hidden, undefined);
  assert.equal(student.summary.total, 2);
  assert.is(student.score, 50);
  for (const word of hiddenWords) assert.not.match(JSON.stringify(student), word);
});

feedback('a hidden run that did not compile says so in the runner\'s words, naming no file or line', () => {
  const base = result();
  const compile = { ...base, outcome: 'COMPILE_ERROR' as const, runs: { ...base.runs!, hidden: { ...base.runs!.hidden!, outcome: 'COMPILE_ERROR' as const } } };
  const student = studentFeedback(compile);
  assert.equal(student.error, { code: 'COMPILE_ERROR', message: 'your solution does not compile against the hidden tests' });
  for (const word of [...hiddenWords, '.java', ':12']) assert.not.match(JSON.stringify(student), word);
  assert.is(JSON.parse(formatResult(compile, 'exercism')).message, 'your solution does not compile against the hidden tests');
});

feedback('the student view lists the files that were not taken, so the student knows why', () => {
  const withIgnored = { ...result(), integrity: [{ code: 'FILES_IGNORED' as const, message: '2 files are not part of the solution', files: ['pom.xml', 'src/test/java/Extra.java'] }] };
  assert.equal(studentFeedback(withIgnored).ignored, ['pom.xml', 'src/test/java/Extra.java']);
  assert.is(studentFeedback(result()).ignored, undefined);
});

feedback('every student-facing format keeps hidden tests hidden', () => {
  for (const format of ['student', 'exercism'] as const) {
    const text = formatResult(result(), format);
    for (const word of hiddenWords) assert.not.match(text, word, `${format} leaks ${word}`);
  }
  const gradescope = JSON.parse(formatResult(result(), 'gradescope')) as { tests: Array<{ name: string; visibility: string }> };
  assert.equal(gradescope.tests.filter((t) => t.visibility === 'hidden').map((t) => t.name), ['secretOverflowEdge', 'secretZeroCase']);
});

// The fields Gradescope's autograder specification requires of results.json.
const gradescopeSchema = z.object({
  score: z.number(),
  tests: z.array(z.object({
    name: z.string(), score: z.number(), max_score: z.number(), status: z.enum(['passed', 'failed']),
    visibility: z.enum(['hidden', 'after_due_date', 'after_published', 'visible']),
  })),
});
// exercism's test runner interface, version 3.
const exercismSchema = z.discriminatedUnion('status', [
  z.object({ version: z.literal(3), status: z.literal('error'), message: z.string().min(1) }),
  z.object({
    version: z.literal(3), status: z.enum(['pass', 'fail']),
    tests: z.array(z.object({ name: z.string(), status: z.enum(['pass', 'fail', 'error']), message: z.string().optional(), test_code: z.string() })
      .refine((t) => t.status === 'pass' || t.message !== undefined, 'a failing test has a message')).min(1),
  }),
]);

feedback('the gradescope and exercism results carry the fields their specifications require', () => {
  const gradescope = gradescopeSchema.parse(JSON.parse(formatResult(result(), 'gradescope', { 'CalcTest#adds': 3 })));
  assert.equal(gradescope.tests.map((t) => [t.score, t.max_score]), [[3, 3], [0, 1], [0, 1], [1, 1]]);
  assert.is(gradescope.score, 50);
  const failed = exercismSchema.parse(JSON.parse(formatResult(result(), 'exercism')));
  assert.is(failed.status, 'fail');
  const compileError = { ...result(), outcome: 'COMPILE_ERROR' as const, tests: [], summary: { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0 } };
  assert.is(exercismSchema.parse(JSON.parse(formatResult(compileError, 'exercism'))).status, 'error');
});

feedback('the junit format is valid JUnit XML that reads back to the same tests', () => {
  const xml = formatResult(result(), 'junit');
  assert.is(XMLValidator.validate(xml), true);
  assert.equal(parseJUnitXml(xml).map((t) => [t.name, t.status]), result().tests.map((t) => [t.name, t.status]));
});

feedback('the terminal report has a line per test, the first lines of failures, score and outcome; no colour unless asked', () => {
  const plain = terminalReport(result(), { color: false });
  assert.match(plain, '✓ CalcTest › adds');
  assert.match(plain, '✗ CalcTest › subtracts');
  assert.match(plain, 'expected 1 but was 2');
  assert.match(plain, 'FAILED  score 50  2/4 tests passed');
  assert.not.match(plain, '\u001b[');
  assert.match(terminalReport(result(), { color: true }), '\u001b[');
});

feedback('a per-test limit reaches each harness, and a PIT\'s own JVM options stay after ours', () => {
  const env = harnessEnvironment({ environment: { JAVA_TOOL_OPTIONS: '-Dx=1' }, testTimeoutMs: 2500 });
  assert.equal(env, { JAVA_TOOL_OPTIONS: '-Djunit.jupiter.execution.timeout.default=2500ms -Dx=1', PYTEST_TIMEOUT: '3' });
  assert.equal(harnessEnvironment({ environment: { A: 'b' } }), { A: 'b' });
});

feedback.run();
