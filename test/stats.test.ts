import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSubmissions } from '../src/db/submissions.js';
import { pitStats } from '../src/db/stats.js';
import { studentFeedback } from '../src/grading/feedback.js';
import type { GradeResult, TestResult } from '../src/grading/types.js';
import { runCli } from './helpers/cli.js';
import { freshDatabase, type TestDatabase } from './helpers/db.js';

const stats = suite('stats');
let db: TestDatabase;
stats.before(async () => { db = await freshDatabase({ migrated: true }); });
stats.after(() => db.close());

const test = (name: string, passed: boolean, hidden?: true): TestResult => ({ name, classname: 'T', status: passed ? 'passed' : 'failed', timeMs: 1, ...(hidden && { hidden }) });

function graded(score: number, tests: TestResult[], overrides: Partial<GradeResult> = {}): GradeResult {
  const passed = tests.filter((t) => t.status === 'passed').length;
  return {
    pitId: 'calc', status: 'DONE', outcome: passed === tests.length ? 'PASSED' : 'FAILED', score,
    summary: { total: tests.length, passed, failed: tests.length - passed, errors: 0, skipped: 0 }, tests,
    timings: { unpackMs: 1, executeMs: 1, scoreMs: 1, totalMs: 3 }, exitCode: 0, timedOut: false, logBytes: 0, logTruncated: false,
    ...overrides,
  };
}

async function seed() {
  const repo = createSubmissions(db.sql, { leaseSeconds: 60 });
  const results = [
    graded(100, [test('adds', true), test('divides', true)]),
    graded(50, [test('adds', true), test('divides', false)]),
    graded(0, [test('adds', false), test('divides', false), test('secretOverflow', false, true)]),
    graded(0, [], { status: 'ERROR', outcome: 'INVALID_SUBMISSION', error: { code: 'INVALID_SUBMISSION', message: 'the ZIP contains no files' } }),
  ];
  const ids: string[] = [];
  for (const result of results) {
    const row = await repo.insert({ pitId: 'calc', fileKey: 'k', userId: 'u' });
    await repo.claim(row.id);
    await repo.publish(row.id, 1, result, null, studentFeedback(result));
    ids.push(row.id);
  }
  await repo.insert({ pitId: 'other', fileKey: 'k' });
  return ids;
}

stats('counts, score bands, the tests failed most often and the errors of one PIT', async () => {
  const ids = await seed();
  const found = await pitStats(db.sql, { pitId: 'calc' });
  assert.is(found.total, 4);
  assert.equal(found.byStatus.map((row) => [row.status, row.outcome, row.count]).sort(), [['DONE', 'FAILED', 2], ['DONE', 'PASSED', 1], ['ERROR', 'INVALID_SUBMISSION', 1]]);
  assert.equal(found.scoreBands, [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  assert.equal(found.hardestTests, [{ test: 'T#divides', failed: 2, ran: 3 }, { test: 'T#adds', failed: 1, ran: 3 }]);
  assert.equal(found.hardestHiddenTests, [{ test: 'T#secretOverflow', failed: 1, ran: 1 }]);
  assert.equal(found.errors.map((e) => [e.id, e.errorCode, e.message]), [[ids[3], 'INVALID_SUBMISSION', 'the ZIP contains no files']]);
  assert.is((await pitStats(db.sql, { pitId: 'calc', since: new Date(Date.now() + 60_000) })).total, 0);
});

stats('the stored row keeps the student view beside the full result', async () => {
  const [first] = await db.sql<Array<{ student: { score: number; tests: unknown[] } }>>`select student_feedback as student from submissions where score = 50`;
  assert.is(first?.student.score, 50);
  assert.is(first?.student.tests.length, 2);
});

stats('the CLI prints a terminal summary, or JSON with --json', async () => {
  const text = await runCli(['stats', '--pit', 'calc'], { env: { DATABASE_URL: db.url } });
  assert.is(text.exitCode, 0, text.stderr);
  assert.match(text.stdout, '4 submissions (calc)');
  assert.match(text.stdout, '2/3  T#divides');
  assert.match(text.stdout, 'hidden tests failed most often\n  1/1  T#secretOverflow');
  const json = await runCli(['stats', '--pit', 'calc', '--json'], { env: { DATABASE_URL: db.url } });
  assert.is((JSON.parse(json.stdout) as { total: number }).total, 4);
  const bad = await runCli(['stats', '--since', 'yesterday'], { env: { DATABASE_URL: db.url } });
  assert.is(bad.exitCode, 2);
});

stats.run();
