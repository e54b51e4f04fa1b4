import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RunnerError } from '../../src/errors.js';
import type { GradeResult, Provenance } from '../../src/grading/types.js';
import { createSubmissions, type Submissions } from '../../src/db/submissions.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';

const submissions = suite<{ db: TestDatabase; repo: Submissions }>('submissions');

submissions.before(async (context) => {
  context.db = await freshDatabase({ migrated: true });
  context.repo = createSubmissions(context.db.sql, { leaseSeconds: 60 });
});
submissions.after(async ({ db }) => db.close());

const result = (score: number, overrides: Partial<GradeResult> = {}): GradeResult => ({
  pitId: 'hello', status: 'DONE', outcome: score === 100 ? 'PASSED' : 'FAILED', score,
  summary: { total: 2, passed: score === 100 ? 2 : 1, failed: score === 100 ? 0 : 1, errors: 0, skipped: 0 },
  tests: [
    { name: 'adds', classname: 'CalcTest', status: 'passed', timeMs: 3 },
    { name: 'divides', classname: 'CalcTest', status: score === 100 ? 'passed' : 'failed', timeMs: 2, message: 'expected 2' },
  ],
  timings: { unpackMs: 1, executeMs: 900, scoreMs: 2, totalMs: 910 },
  exitCode: 0, timedOut: false, logBytes: 120, logTruncated: false,
  ...overrides,
});

submissions('claim tells a missing row from a final one', async ({ repo }) => {
  assert.equal(await repo.claim(randomUUID()), { claimed: false, reason: 'missing' });
  const row = await repo.insert({ pitId: 'hello', fileKey: 'uploads/a.zip', userId: 'u1' });
  const claim = await repo.claim(row.id);
  assert.ok(claim.claimed && claim.attempt === 1 && claim.submission.fileKey === 'uploads/a.zip' && claim.submission.userId === 'u1');
  assert.ok(await repo.publish(row.id, 1, result(100), null));
  assert.equal(await repo.claim(row.id), { claimed: false, reason: 'final', status: 'DONE' });
});

submissions('force claims a final row again with the next attempt', async ({ repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(row.id);
  await repo.publish(row.id, 1, result(50), null);
  const claim = await repo.claim(row.id, { force: true });
  assert.ok(claim.claimed && claim.attempt === 2);
  const stored = await repo.get(row.id);
  assert.is(stored?.status, 'RUNNING');
  assert.is(stored?.finishedAt, null);
});

submissions('of two concurrent claims (no lease to respect) only the latest attempt publishes', async ({ repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  const claims = await Promise.all([repo.claim(row.id, { leaseSeconds: 0 }), repo.claim(row.id, { leaseSeconds: 0 })]);
  const attempts = claims.map((c) => (c.claimed ? c.attempt : 0)).sort();
  assert.equal(attempts, [1, 2]);
  assert.is(await repo.publish(row.id, 1, result(100), 'logs/stale'), false, 'the stale attempt is refused');
  const untouched = await repo.get(row.id);
  assert.is(untouched?.status, 'RUNNING');
  assert.is(untouched?.score, null);
  assert.ok(await repo.publish(row.id, 2, result(50), 'logs/current'));
  assert.is(await repo.publish(row.id, 2, result(100), 'logs/duplicate'), false, 'a duplicate publish is refused');
  const final = await repo.get(row.id);
  assert.is(final?.score, 50);
  assert.is(final?.logsS3Key, 'logs/current');
});

submissions('a RUNNING row under a live lease is busy, even forced; once its heartbeat is older than the lease it is taken over', async ({ db, repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  assert.ok((await repo.claim(row.id)).claimed);
  const claims = await Promise.all([repo.claim(row.id, { leaseSeconds: 60 }), repo.claim(row.id, { leaseSeconds: 60, force: true })]);
  assert.equal(claims, [{ claimed: false, reason: 'busy', status: 'RUNNING' }, { claimed: false, reason: 'busy', status: 'RUNNING' }]);
  await db.sql`update submissions set heartbeat_at = now() - interval '61 seconds' where id = ${row.id}`;
  const taken = await repo.claim(row.id, { leaseSeconds: 60 });
  assert.ok(taken.claimed && taken.attempt === 2);
});

submissions('a RUNNING row with no heartbeat (left by an older runner) is taken over', async ({ db, repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await db.sql`update submissions set status = 'RUNNING', attempt = 1 where id = ${row.id}`;
  const claim = await repo.claim(row.id);
  assert.ok(claim.claimed && claim.attempt === 2);
});

submissions('heartbeat renews the current attempt only, and a final row has none', async ({ db, repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(row.id);
  await db.sql`update submissions set heartbeat_at = now() - interval '1 hour' where id = ${row.id}`;
  assert.is(await repo.heartbeat(row.id, 2), false);
  assert.ok(await repo.heartbeat(row.id, 1));
  assert.ok(Date.now() - (await repo.get(row.id))!.heartbeatAt!.getTime() < 60_000, 'renewed');
  await repo.publish(row.id, 1, result(100), null);
  assert.is((await repo.get(row.id))?.heartbeatAt, null);
  assert.is(await repo.heartbeat(row.id, 1), false);
});

submissions('publish stores score, outcome, per-test feedback and timings', async ({ repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(row.id);
  const graded = result(66.67, { notes: ['ignored 1 unexpected test'], error: { code: 'X', message: 'y' }, status: 'ERROR', outcome: 'INTERNAL_ERROR' });
  await repo.publish(row.id, 1, graded, 'logs/x/run.log');
  const stored = await repo.get(row.id);
  assert.is(stored?.status, 'ERROR');
  assert.is(stored?.outcome, 'INTERNAL_ERROR');
  assert.is(stored?.score, 66.67);
  assert.is(stored?.errorCode, 'X');
  assert.equal(stored?.feedback?.tests, graded.tests);
  assert.equal(stored?.feedback?.timings, graded.timings);
  assert.equal(stored?.feedback?.notes, graded.notes);
  assert.not.ok(stored?.feedback && 'pitId' in stored.feedback);
  assert.instance(stored?.finishedAt, Date);
  assert.ok(stored!.updatedAt > stored!.createdAt, 'updated_at follows updates');
});

submissions('release returns only the current attempt to PENDING', async ({ repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(row.id);
  await repo.claim(row.id, { leaseSeconds: 0 });
  assert.is(await repo.release(row.id, 1), false);
  assert.ok(await repo.release(row.id, 2));
  assert.is((await repo.get(row.id))?.status, 'PENDING');
  assert.is(await repo.publish(row.id, 2, result(100), null), false, 'a released attempt cannot publish');
});

submissions('select filters by ids, status, pit and creation time', async ({ db, repo }) => {
  await db.sql`delete from submissions`;
  const day = (d: number) => new Date(Date.UTC(2024, 0, d));
  const a = await repo.insert({ pitId: 'p1', fileKey: 'a', createdAt: day(1) });
  const b = await repo.insert({ pitId: 'p1', fileKey: 'b', createdAt: day(2) });
  const c = await repo.insert({ pitId: 'p2', fileKey: 'c', createdAt: day(3) });
  await repo.claim(b.id);
  await repo.publish(b.id, 1, result(100), null);
  const ids = async (filter: Parameters<Submissions['select']>[0]) => (await repo.select(filter)).map((row) => row.fileKey);
  assert.equal(await ids({ ids: [a.id, c.id] }), ['a', 'c']);
  assert.equal(await ids({ status: 'DONE' }), ['b']);
  assert.equal(await ids({ status: ['PENDING', 'DONE'], pitId: 'p1' }), ['a', 'b']);
  assert.equal(await ids({ since: day(2), until: day(3) }), ['b']);
  assert.equal(await ids({ limit: 2 }), ['a', 'b']);
});

submissions('resetToPending resets final rows only', async ({ repo }) => {
  const done = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  const running = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(done.id);
  await repo.publish(done.id, 1, result(100), null);
  await repo.claim(running.id);
  assert.equal(await repo.resetToPending([done.id, running.id]), [done.id]);
  assert.is((await repo.get(done.id))?.status, 'PENDING');
  assert.is((await repo.get(running.id))?.status, 'RUNNING');
});

submissions('an invalid id is the caller\'s error, not a database error', async ({ repo }) => {
  for (const call of [() => repo.claim('42'), () => repo.get("x' or 1=1"), () => repo.select({ ids: ['nope'] })]) {
    try {
      await call();
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.instance(err, RunnerError);
      assert.is((err as RunnerError).code, 'USAGE');
    }
  }
});

const provenance = (pitHash: string): Provenance => ({
  pitHash, runner: { version: '0.1.0', gitSha: 'abc', imageDigest: null }, buildTool: 'node', toolchain: { node: '20.1.0' },
  sandbox: { mode: 'uid', limits: { processes: 1, memoryMb: 1, fileSizeMb: 1, openFiles: 1, cpuSeconds: 1 }, timeoutMs: 1000, network: false },
});
const internalError = (): GradeResult => result(0, { status: 'ERROR', outcome: 'INTERNAL_ERROR', tests: [], error: { code: 'INTERNAL', message: 'the runner broke' }, provenance: provenance('sha256:new') });

submissions('a regrade keeps the previous attempt: every finished attempt is in the history, the row points at the latest', async ({ repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(row.id);
  assert.ok(await repo.publish(row.id, 1, result(50, { provenance: provenance('sha256:old') }), 'logs/1'));
  await repo.claim(row.id, { force: true });
  assert.ok(await repo.publish(row.id, 2, result(100, { provenance: provenance('sha256:new') }), 'logs/2'));
  const history = await repo.results(row.id);
  assert.equal(history.map((r) => [r.attempt, r.status, r.score, r.pitHash, r.logsS3Key, r.current]),
    [[1, 'DONE', 50, 'sha256:old', 'logs/1', false], [2, 'DONE', 100, 'sha256:new', 'logs/2', true]]);
  const current = (await repo.get(row.id))!;
  assert.equal([current.score, current.currentResultId, current.provenance?.pitHash], [100, history[1]!.id, 'sha256:new']);
  assert.is((current.feedback as Record<string, unknown>).provenance, undefined, 'provenance has its own column');
});

submissions('a regrade that ends ERROR is recorded beside the DONE grade and never replaces it', async ({ repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(row.id);
  await repo.publish(row.id, 1, result(50), 'logs/1');
  const graded = (await repo.get(row.id))!;
  await repo.claim(row.id, { force: true });
  assert.is(await repo.publish(row.id, 2, internalError(), 'logs/2'), 'beside');
  const after = (await repo.get(row.id))!;
  assert.equal([after.status, after.score, after.outcome, after.logsS3Key, after.currentResultId, after.attempt], ['DONE', 50, 'FAILED', 'logs/1', graded.currentResultId, 2]);
  assert.equal(after.finishedAt, graded.finishedAt);
  assert.equal((await repo.results(row.id)).map((r) => [r.attempt, r.status, r.current]), [[1, 'DONE', true], [2, 'ERROR', false]]);
  // an ERROR replaces an ERROR, and a DONE replaces it
  const failed = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(failed.id);
  await repo.publish(failed.id, 1, internalError(), null);
  await repo.claim(failed.id, { force: true });
  await repo.publish(failed.id, 2, result(100), null);
  assert.equal([(await repo.get(failed.id))?.status, (await repo.get(failed.id))?.score], ['DONE', 100]);
});

submissions('a stale attempt\'s result is kept in the history but never becomes current', async ({ repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(row.id, { leaseSeconds: 0 });
  await repo.claim(row.id, { leaseSeconds: 0 });
  assert.ok(await repo.publish(row.id, 2, result(50), 'logs/2'));
  assert.is(await repo.publish(row.id, 1, result(100), 'logs/1'), false);
  assert.is(await repo.publish(row.id, 3, result(100), 'logs/3'), false, 'an attempt never claimed is refused');
  assert.equal((await repo.results(row.id)).map((r) => [r.attempt, r.score, r.current]), [[1, 100, false], [2, 50, true]]);
  assert.is((await repo.get(row.id))?.score, 50);
});

submissions('the history is append-only', async ({ db, repo }) => {
  const row = await repo.insert({ pitId: 'hello', fileKey: 'k' });
  await repo.claim(row.id);
  await repo.publish(row.id, 1, result(50), null);
  try {
    await db.sql`update submission_results set score = 100 where submission_id = ${row.id}`;
    assert.unreachable('the update should be refused');
  } catch (err) {
    assert.match((err as Error).message, 'append-only');
  }
});

submissions.run();
