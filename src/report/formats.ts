import { studentFeedback } from '../grading/feedback.js';
import { fastXml } from '../xml.js';
import { testId } from '../grading/reports.js';
import type { GradeResult, TestResult } from '../grading/types.js';
import type { Format } from './format-names.js';


/**
 * A result in the shape a platform reads. `json` is pit-runner's own (the full, instructor's view);
 * `student` is what a student may see; the others follow their platforms' published formats.
 */
export function formatResult(result: GradeResult, format: Format, weights: Record<string, number> = {}): string {
  switch (format) {
    case 'json': return `${JSON.stringify(result)}\n`;
    case 'student': return `${JSON.stringify(studentFeedback(result))}\n`;
    case 'gradescope': return `${JSON.stringify(gradescope(result, weights), null, 2)}\n`;
    case 'exercism': return `${JSON.stringify(exercism(result), null, 2)}\n`;
    case 'junit': return junitXml(result);
  }
}

const passed = (test: Pick<TestResult, 'status'>) => test.status === 'passed';

/** Gradescope's results.json: the score in percent, each test worth its weight, hidden tests hidden from students. */
export function gradescope(result: GradeResult, weights: Record<string, number>) {
  const student = studentFeedback(result);
  const lines = [`${student.outcome}: ${student.summary.passed}/${student.summary.total} tests passed`];
  if (student.hidden) lines.push(`${student.hidden.failed} of ${student.hidden.total} hidden tests did not pass`);
  if (student.error) lines.push(student.error.message);
  return {
    score: result.score,
    execution_time: Math.round(result.timings.totalMs / 1000),
    output: lines.join('\n'),
    stdout_visibility: 'hidden',
    tests: result.tests.map((test) => {
      const weight = weights[testId(test)] ?? 1;
      return {
        name: test.name,
        name_format: 'text',
        score: passed(test) ? weight : 0,
        max_score: weight,
        status: passed(test) ? 'passed' : 'failed',
        ...(test.message && { output: test.message, output_format: 'text' }),
        visibility: test.hidden ? 'hidden' : 'visible',
        extra_data: { classname: test.classname, status: test.status },
      };
    }),
  };
}

/**
 * exercism's test runner interface, version 3, from the student's view alone. It has no hidden tests,
 * so hidden tests are listed by number only, as many failing as did not pass, without name or message.
 */
export function exercism(result: GradeResult) {
  const student = studentFeedback(result);
  const noTestsRan = student.status === 'ERROR' || student.summary.total === 0 || student.outcome === 'COMPILE_ERROR';
  const status = noTestsRan ? 'error' : student.outcome === 'PASSED' ? 'pass' : 'fail';
  const hidden = student.hidden ?? { total: 0, failed: 0 };
  return {
    version: 3,
    status,
    ...(status === 'error' && { message: student.error?.message ?? `${student.outcome}: no test ran` }),
    ...(status !== 'error' && {
      tests: [
        ...student.tests.map((test) => {
          const testStatus = passed(test) ? 'pass' : test.status === 'error' ? 'error' : 'fail';
          return { name: test.name, status: testStatus, ...(testStatus !== 'pass' && { message: test.message ?? test.status }), test_code: testId(test) };
        }),
        ...Array.from({ length: hidden.total }, (_, index) => ({
          name: `hidden test ${index + 1}`,
          ...(index < hidden.failed ? { status: 'fail', message: 'a hidden test did not pass' } : { status: 'pass' }),
          test_code: '',
        })),
      ],
    }),
  };
}

/** One JUnit XML testsuite: the scored tests (the ones that did not run as errors), for any CI or LMS that reads JUnit. */
export function junitXml(result: GradeResult): string {
  const failures = result.tests.filter((test) => test.status === 'failed').length;
  const errors = result.tests.filter((test) => test.status === 'error').length;
  const skipped = result.tests.filter((test) => test.status === 'skipped').length;
  const suite = {
    '@_name': result.pitId,
    '@_tests': result.tests.length,
    '@_failures': failures,
    '@_errors': errors,
    '@_skipped': skipped,
    '@_time': (result.timings.executeMs / 1000).toFixed(3),
    properties: { property: [
      { '@_name': 'outcome', '@_value': result.outcome },
      { '@_name': 'score', '@_value': result.score },
    ] },
    testcase: result.tests.map((test) => ({
      '@_classname': test.classname,
      '@_name': test.name,
      '@_time': (test.timeMs / 1000).toFixed(3),
      ...(test.status === 'failed' && { failure: { '@_message': firstLine(test.message), '#text': test.message ?? '' } }),
      ...(test.status === 'error' && { error: { '@_message': firstLine(test.message), '#text': test.message ?? '' } }),
      ...(test.status === 'skipped' && { skipped: '' }),
      ...(test.hidden && { properties: { property: { '@_name': 'visibility', '@_value': 'hidden' } } }),
    })),
  };
  // loaded here: only this format needs the XML builder
  const { XMLBuilder } = fastXml();
  const builder = new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ testsuite: suite }) as string}`;
}

const firstLine = (text: string | undefined) => (text ?? '').split('\n')[0]!.slice(0, 200);
