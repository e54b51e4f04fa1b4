import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSubmissions } from '../../src/db/submissions.js';
import { pitStats, type RegradeComparison } from '../../src/db/stats.js';
import { studentFeedback } from '../../src/grading/feedback.js';
import type { GradeResult, TestResult } from '../../src/grading/types.js';
import { runCli } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';

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

stats('--compare: after a regrade, grades up, down and the same, and per test which outcomes flipped', async () => {
  const repo = createSubmissions(db.sql, { leaseSeconds: 60 });
  const gradeTwice = async (first: GradeResult, second: GradeResult) => {
    const row = await repo.insert({ pitId: 'regraded', fileKey: 'k' });
    await repo.claim(row.id);
    await repo.publish(row.id, 1, first, null);
    await repo.claim(row.id, { force: true });
    await repo.publish(row.id, 2, second, null);
    return row.id;
  };
  const half = () => graded(50, [test('adds', true), test('divides', false)]);
  const full = () => graded(100, [test('adds', true), test('divides', true)]);
  const fixed = await gradeTwice(half(), full());
  const broken = await gradeTwice(full(), half());
  await gradeTwice(half(), half());
  await gradeTwice(full(), graded(0, [], { status: 'ERROR', outcome: 'INTERNAL_ERROR', error: { code: 'INTERNAL', message: 'x' } }));
  await repo.insert({ pitId: 'regraded', fileKey: 'k' }); // never graded: not compared

  const json = await runCli(['stats', '--compare', '--pit', 'regraded', '--json'], { env: { DATABASE_URL: db.url } });
  assert.is(json.exitCode, 0, json.stderr);
  const comparison = JSON.parse(json.stdout) as RegradeComparison;
  comparison.changes.sort((a, b) => a.before - b.before); // in creation order, which may tie within a millisecond
  assert.equal(comparison, {
    compared: 4, up: 1, down: 1, same: 1, notRegraded: 1,
    flips: [{ test: 'T#divides', from: 'failed', to: 'passed', count: 1 }, { test: 'T#divides', from: 'passed', to: 'failed', count: 1 }],
    changes: [{ id: fixed, before: 50, after: 100 }, { id: broken, before: 100, after: 50 }],
  });
  const text = await runCli(['stats', '--compare', '--pit', 'regraded'], { env: { DATABASE_URL: db.url } });
  assert.match(text.stdout, 'up 1  down 1  same 1  not regraded (ended ERROR, earlier grade kept) 1');
  assert.match(text.stdout, /1 {2}failed +→ passed +T#divides/);
});

stats.run();
