import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pitHash } from '../../src/grading/pit-hash.js';
import { loadPit } from '../../src/pits/load.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createSqsQueue } from '../../src/aws/sqs-queue.js';
import { createS3Storage } from '../../src/storage/s3.js';
import { createSubmissions, type Submissions } from '../../src/db/submissions.js';
import { loadConfig } from '../../src/config.js';
import { RunnerError } from '../../src/errors.js';
import { parseMessage } from '../../src/submissions/message.js';
import { runSubmission, type SubmissionDeps, type SubmissionOutcome } from '../../src/submissions/run.js';
import type { GradeResult } from '../../src/grading/types.js';
import type { ResultsStore, SubmissionStorage } from '../../src/ports.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { drainQueue, drainSubmissions, retryDelaySeconds, type DrainOptions } from '../../src/submissions/drain.js';
import { repoRoot } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { localS3, type LocalS3 } from '../helpers/s3.js';
import { zipDirectory } from '../helpers/zip.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { sandboxFor } from '../helpers/sandbox.js';
import { orHang } from '../helpers/stall.js';

const drain = suite('drain');
const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const sqs = mockClient(client);
const queue = createSqsQueue({ client, queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/submissions', aws: loadConfig({}).aws });
const deps: SubmissionDeps = {
  config: loadConfig({ RUNNER_POLL_INTERVAL_MS: '0' }),
  log: silentLogger,
  store: {} as ResultsStore,
  storage: {} as SubmissionStorage,
  sandbox: {} as Sandbox, // the work is stubbed: nothing runs
};
const graded: SubmissionOutcome = { kind: 'graded', attempt: 1, result: {} as GradeResult, published: true, current: true };

let events: string[];
const body = (submissionId = randomUUID()) =>
  JSON.stringify({ submissionId, fileKey: `submissions/${submissionId}.zip`, userId: 'u1', pitId: 'node-sample', createdAt: new Date().toISOString() });
const message = (handle: string, text = body(), receiveCount = 1): Message => ({
  MessageId: `id-${handle}`, ReceiptHandle: handle, Body: text, Attributes: { ApproximateReceiveCount: String(receiveCount) },
});

/** Each argument is one receive's batch; after the last, receives come back empty. */
function deliveries(...batches: Message[][]) {
  let receive = sqs.on(ReceiveMessageCommand);
  for (const batch of batches) receive = receive.resolvesOnce({ Messages: batch });
  receive.resolves({ Messages: [] });
}

const run = (options: Partial<DrainOptions>) => drainQueue({ queue, deps, waitSeconds: 20, ...options });
const calls = (command: typeof DeleteMessageCommand | typeof ChangeMessageVisibilityCommand) =>
  sqs.commandCalls(command as never).map((call) => call.args[0].input as { ReceiptHandle: string; VisibilityTimeout?: number });

drain.before.each(() => {
  sqs.reset();
  events = [];
  sqs.on(DeleteMessageCommand).callsFake((input: { ReceiptHandle: string }) => (events.push(`delete ${input.ReceiptHandle}`), {}));
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
});

drain('two empty long polls end the drain', async () => {
  deliveries();
  const summary = await run({});
  assert.equal(summary, { received: 0, graded: 0, skipped: 0, failed: 0, leftForRetry: 0 });
  const receives = sqs.commandCalls(ReceiveMessageCommand);
  assert.is(receives.length, 2);
  assert.is(receives[0]!.args[0].input.WaitTimeSeconds, 20);
  assert.equal(receives[0]!.args[0].input.MessageSystemAttributeNames, ['ApproximateReceiveCount']);
});

drain('the heartbeat extends visibility while a slow submission runs', async () => {
  deliveries([message('slow')]);
  await run({ visibilityTimeoutS: 90, heartbeatMs: 20, work: async () => (await sleep(150), graded) });
  const beats = calls(ChangeMessageVisibilityCommand);
  assert.ok(beats.length >= 2, `${beats.length} heartbeats`);
  assert.ok(beats.every((beat) => beat.ReceiptHandle === 'slow' && beat.VisibilityTimeout === 90));
});

drain('the message is deleted only after the result is committed', async () => {
  deliveries([message('a')]);
  const summary = await run({
    work: async () => {
      events.push('work started');
      await sleep(20);
      events.push('committed');
      return graded;
    },
  });
  assert.equal(events, ['work started', 'committed', 'delete a']);
  assert.is(summary.graded, 1);
});

drain('received messages are hidden for the visibility timeout, not the queue default', async () => {
  deliveries();
  await run({ visibilityTimeoutS: 240 });
  assert.is(sqs.commandCalls(ReceiveMessageCommand)[0]!.args[0].input.VisibilityTimeout, 240);
});

drain('a result a newer attempt fenced out keeps its message (the newer attempt has not committed)', async () => {
  deliveries([message('stale')]);
  const summary = await run({ work: async () => ({ ...graded, published: false, current: false }) });
  assert.equal(events, []);
  assert.is(summary.skipped, 1);
});

drain('a duplicate of a submission another runner is grading is kept for later, not deleted, not failed', async () => {
  deliveries([message('twin')]);
  const summary = await run({ work: async () => ({ kind: 'busy' }) });
  assert.equal(events, []);
  assert.equal(calls(ChangeMessageVisibilityCommand), []);
  assert.equal(summary, { received: 1, graded: 0, skipped: 1, failed: 0, leftForRetry: 0 });
});

drain('an already final submission is deleted as skipped', async () => {
  deliveries([message('done')]);
  const summary = await run({ work: async () => ({ kind: 'skipped', reason: 'final' }) });
  assert.is(summary.skipped, 1);
  assert.equal(events, ['delete done']);
});

drain('a transient failure leaves the message, with a visibility backoff by receive count', async () => {
  deliveries([message('flaky', body(), 3)]);
  const summary = await run({ work: async () => { throw new RunnerError('TRANSIENT', 'database unreachable'); } });
  assert.equal(events, []);
  assert.equal(calls(ChangeMessageVisibilityCommand), [{ QueueUrl: queue.url, ReceiptHandle: 'flaky', VisibilityTimeout: retryDelaySeconds(3) } as never]);
  assert.is(summary.failed, 1);
  assert.is(summary.leftForRetry, 1);
});

drain('a missing row is left for redelivery and counted as failed', async () => {
  deliveries([message('early')]);
  const summary = await run({ work: async () => ({ kind: 'missing' }) });
  assert.equal(events, []);
  assert.equal({ failed: summary.failed, leftForRetry: summary.leftForRetry }, { failed: 1, leftForRetry: 1 });
});

drain('a malformed body is left for the DLQ and the loop goes on', async () => {
  deliveries([message('bad', '{"submissionId": 1}'), message('good')]);
  const summary = await run({ concurrency: 2, work: async (text) => (parseMessage(text), graded) });
  assert.equal(events, ['delete good']);
  assert.equal(summary, { received: 2, graded: 1, skipped: 0, failed: 1, leftForRetry: 0 });
});

drain('no more submissions run at once than the concurrency, and no more are asked for', async () => {
  deliveries([message('1'), message('2')], [message('3')]);
  let runningNow = 0;
  let peak = 0;
  const summary = await run({
    concurrency: 2,
    work: async () => {
      peak = Math.max(peak, ++runningNow);
      await sleep(30);
      runningNow -= 1;
      return graded;
    },
  });
  assert.is(summary.graded, 3);
  assert.is(peak, 2);
  assert.ok(sqs.commandCalls(ReceiveMessageCommand).every((call) => (call.args[0].input.MaxNumberOfMessages ?? 1) <= 2));
});

drain('maxMessages stops receiving', async () => {
  deliveries([message('1')], [message('2')], [message('3')]);
  const summary = await run({ maxMessages: 2, work: async () => graded });
  assert.is(summary.received, 2);
  assert.is(sqs.commandCalls(ReceiveMessageCommand).length, 2);
});

drain('a stop during a run returns the message to the queue and ends STOPPED (143)', async () => {
  deliveries([message('running')]);
  const controller = new AbortController();
  let released = false;
  const drained = run({
    signal: controller.signal,
    work: async (_text, d) => {
      await new Promise((resolve) => d.signal!.addEventListener('abort', resolve));
      released = true;
      throw new RunnerError('STOPPED', 'tests killed, row released');
    },
  });
  await sleep(30);
  controller.abort(new RunnerError('STOPPED', 'stopped by SIGTERM'));
  const error = await drained.then(() => undefined, (err: RunnerError) => err);
  assert.is(error?.code, 'STOPPED');
  assert.is(error?.exitCode, 143);
  assert.ok(released);
  assert.equal(events, []);
  assert.ok(calls(ChangeMessageVisibilityCommand).some((c) => c.ReceiptHandle === 'running' && c.VisibilityTimeout === 0));
});

drain('a submission that does not release in the grace period is returned to the queue anyway', async () => {
  deliveries([message('stuck')]);
  const controller = new AbortController();
  const drained = run({ signal: controller.signal, stopGraceMs: 50, work: () => new Promise<never>(() => {}) });
  await sleep(30);
  controller.abort();
  const error = await drained.then(() => undefined, (err: RunnerError) => err);
  assert.is(error?.code, 'STOPPED');
  assert.ok(calls(ChangeMessageVisibilityCommand).some((c) => c.ReceiptHandle === 'stuck' && c.VisibilityTimeout === 0));
});

drain('a queue that cannot be read ends TRANSIENT (75) after three tries', async () => {
  sqs.on(ReceiveMessageCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  const error = await run({}).then(() => undefined, (err: RunnerError) => err);
  assert.is(error?.code, 'TRANSIENT');
  assert.is(error?.exitCode, 75);
  assert.is(sqs.commandCalls(ReceiveMessageCommand).length, 3);
});

drain('a stop during an empty long poll waits for it and returns what it brings at once', async () => {
  const controller = new AbortController();
  sqs.on(ReceiveMessageCommand).callsFake(async () => {
    await sleep(60); // the long poll is still open on the server when the stop comes
    return { Messages: [message('late')] };
  });
  const drained = drainSubmissions({ queue, deps, signal: controller.signal, work: async () => graded });
  await sleep(20);
  controller.abort(new RunnerError('STOPPED', 'stopped by SIGTERM'));
  const { summary, reason, error } = await drained;
  assert.is(reason, 'stopped');
  assert.is(error?.exitCode, 143);
  assert.equal(summary, { received: 1, graded: 0, skipped: 0, failed: 0, leftForRetry: 1 });
  assert.equal(calls(ChangeMessageVisibilityCommand).map((c) => [c.ReceiptHandle, c.VisibilityTimeout]), [['late', 0]]);
});

drain('a stop during a receive that never answers ends STOPPED (143) after the stop grace, whatever the budget does meanwhile', async () => {
  sqs.on(ReceiveMessageCommand).callsFake(() => new Promise(() => {}));
  const controller = new AbortController();
  // the budget (2 s, then 50 ms of grace) runs out inside the stop's grace: it must not relabel the stop
  const drained = drainSubmissions({ queue, deps, signal: controller.signal, maxSeconds: 2, budgetGraceMs: 50, stopGraceMs: 2_500, work: async () => graded });
  await sleep(50);
  controller.abort(new RunnerError('STOPPED', 'stopped by SIGTERM'));
  const { reason, error } = await orHang(drained, 10_000, 'the drain');
  assert.equal([reason, error?.code, error?.exitCode], ['stopped', 'STOPPED', 143]);
});

drain('a stop ends the drain even when SQS stops answering the calls that hand running work back', async () => {
  deliveries([message('held')]);
  sqs.on(ChangeMessageVisibilityCommand).callsFake(() => new Promise(() => {}));
  const controller = new AbortController();
  const drained = drainSubmissions({ queue, deps, signal: controller.signal, stopGraceMs: 100, work: () => new Promise<never>(() => {}) });
  await sleep(50);
  controller.abort(new RunnerError('STOPPED', 'stopped by SIGTERM'));
  const { reason, error, summary } = await orHang(drained, 10_000, 'the drain');
  assert.equal([reason, error?.exitCode, summary.leftForRetry], ['stopped', 143, 1]);
  assert.ok(calls(ChangeMessageVisibilityCommand).some((c) => c.ReceiptHandle === 'held' && c.VisibilityTimeout === 0));
});

drain('--max-seconds ends a receive that never answers at the budget', async () => {
  sqs.on(ReceiveMessageCommand).callsFake(() => new Promise(() => {}));
  const { reason, error, summary } = await orHang(drainSubmissions({ queue, deps, maxSeconds: 2, work: async () => graded }), 10_000, 'the drain');
  assert.equal([reason, error, summary.received], ['budget', undefined, 0]);
  assert.ok(sqs.commandCalls(ReceiveMessageCommand).every((call) => call.args[0].input.WaitTimeSeconds! <= 2));
});

drain('--max-seconds is a hard budget: work still running after its grace is released, TRANSIENT (75)', async () => {
  deliveries([message('endless')]);
  let sawAbort = false;
  const { summary, reason, error } = await drainSubmissions({
    // 2 s, not 1: the consumer receives nothing once less than a second of its budget is left, which a
    // busy machine would reach before the first receive
    queue, deps, maxSeconds: 2, budgetGraceMs: 50, waitSeconds: 0,
    work: async (_text, d) => {
      await new Promise((resolve) => d.signal!.addEventListener('abort', resolve));
      sawAbort = true;
      throw new RunnerError('STOPPED', 'tests killed, row released');
    },
  });
  assert.ok(sawAbort);
  assert.is(reason, 'budget');
  assert.equal([error?.code, error?.exitCode], ['TRANSIENT', 75]);
  assert.is(summary.leftForRetry, 1);
  assert.ok(calls(ChangeMessageVisibilityCommand).some((c) => c.ReceiptHandle === 'endless' && c.VisibilityTimeout === 0));
});

drain('every way out reports the summary and why it ended', async () => {
  deliveries();
  assert.equal(await drainSubmissions({ queue, deps }), { summary: { received: 0, graded: 0, skipped: 0, failed: 0, leftForRetry: 0 }, reason: 'empty' });
  sqs.reset();
  sqs.on(ReceiveMessageCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  const failed = await drainSubmissions({ queue, deps });
  assert.equal([failed.reason, failed.error?.code, failed.summary.received], ['receive-failed', 'TRANSIENT', 0]);
});

drain.run();

// End to end on real parts: PostgreSQL, S3 over HTTP (s3rver), the node sample PIT, the real sandbox;
// only SQS is mocked. Covers the bucket, duplicate deliveries and a stop with a real test process.
const real = suite('drain on a real database and bucket');
let db: TestDatabase;
let subs: Submissions;
let s3: LocalS3;
let tmp: string;
let realDeps: SubmissionDeps;
const pitId = 'javascript-node-roman-v1';
const marker = `drain-test-${randomUUID()}`;

real.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'drain-real-'));
  await chmod(tmp, 0o755); // the sandbox user must reach the workspaces below
  const pitsDir = path.join(tmp, 'pits');
  await cp(path.join(repoRoot, 'pits', pitId), path.join(pitsDir, pitId), { recursive: true });
  await cp(path.join(repoRoot, 'pits', `${pitId}.json`), path.join(pitsDir, `${pitId}.json`));
  await writeFile(path.join(pitsDir, 'slow.json'), JSON.stringify({
    language: 'javascript', buildTool: 'node', shell: true, maxTimeoutMs: 60_000,
    testCommand: `node -e 'setInterval(() => {}, 1000)' ${marker}`,
  }));
  [db, s3] = await Promise.all([freshDatabase({ migrated: true }), localS3(['submissions'])]);
  subs = createSubmissions(db.sql, { leaseSeconds: 60 });
  const zip = path.join(tmp, 'correct.zip');
  await zipDirectory(path.join(repoRoot, 'examples', pitId, 'correct'), zip);
  const client = s3.client();
  await client.send(new PutObjectCommand({ Bucket: 'submissions', Key: 'in/correct.zip', Body: await readFile(zip) }));
  const config = loadConfig({ PITS_DIR: pitsDir, RUNNER_WORK_DIR: path.join(tmp, 'work') });
  realDeps = {
    config,
    sandbox: sandboxFor(config),
    log: process.env.DRAIN_DEBUG ? createLogger('debug') : silentLogger,
    store: subs,
    storage: createS3Storage({ client, bucket: 'submissions' }),
  };
});
real.after(async () => {
  await Promise.all([db.close(), s3.close()]);
  await rm(tmp, { recursive: true, force: true });
});
real.before.each(() => {
  sqs.reset();
  sqs.on(DeleteMessageCommand).resolves({});
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
});

async function queued(fileKey: string, pit = pitId) {
  const row = await subs.insert({ pitId: pit, fileKey, userId: 'u1' });
  const text = JSON.stringify({ submissionId: row.id, fileKey, userId: 'u1', pitId: pit, createdAt: row.createdAt.toISOString() });
  return { id: row.id, text };
}

real('a submission is graded from the bucket, its log stored, and a duplicate delivery changes nothing', async () => {
  const { id, text } = await queued('in/correct.zip');
  deliveries([message('first', text)]);
  assert.is((await drainQueue({ queue, deps: realDeps })).graded, 1);
  const graded = (await subs.get(id))!;
  assert.equal([graded.status, graded.outcome, graded.score, graded.logsS3Key], ['DONE', 'PASSED', 100, `logs/${id}/1/run.log`]);
  assert.is(graded.provenance?.pitHash, await pitHash(await loadPit(realDeps.config.pitsDir, pitId)), 'the provenance names the PIT graded');
  assert.equal([graded.provenance?.buildTool, graded.provenance?.sandbox?.network], ['node', false]);
  const log = await s3.client().send(new GetObjectCommand({ Bucket: 'submissions', Key: graded.logsS3Key! }));
  const logText = await log.Body!.transformToString();
  assert.match(logText, 'writes 1994 as MCMXCIV');
  assert.ok(logText.startsWith('pit-runner: runner '), 'the log starts with its provenance');

  sqs.reset();
  sqs.on(DeleteMessageCommand).resolves({});
  deliveries([message('again', text, 2)]);
  const summary = await drainQueue({ queue, deps: realDeps });
  assert.equal([summary.skipped, summary.graded], [1, 0]);
  assert.is(sqs.commandCalls(DeleteMessageCommand).length, 1);
  assert.equal(await subs.get(id), graded);
});

real('a missing object ends the submission ERROR and deletes the message', async () => {
  const { id, text } = await queued('in/never-uploaded.zip');
  deliveries([message('missing', text)]);
  await drainQueue({ queue, deps: realDeps });
  const row = (await subs.get(id))!;
  assert.equal([row.status, row.errorCode], ['ERROR', 'SUBMISSION_NOT_FOUND']);
  assert.match(row.feedback?.error?.message ?? '', 'in/never-uploaded.zip does not exist');
  assert.is(sqs.commandCalls(DeleteMessageCommand).length, 1);
});

real('a stop kills the running tests, releases the row and returns the message (STOPPED, 143)', async () => {
  const { id, text } = await queued('in/correct.zip', 'slow');
  deliveries([message('slow', text)]);
  const controller = new AbortController();
  const drained = drainQueue({ queue, deps: realDeps, signal: controller.signal }).then(() => undefined, (err: RunnerError) => err);
  await waitFor(() => testProcesses().length > 0);
  controller.abort(new RunnerError('STOPPED', 'stopped by SIGTERM'));
  const error = await drained;
  assert.is(error?.exitCode, 143);
  assert.equal(testProcesses(), []);
  const row = (await subs.get(id))!;
  assert.equal([row.status, row.attempt], ['PENDING', 1]);
  assert.equal(calls(ChangeMessageVisibilityCommand).filter((c) => c.VisibilityTimeout === 0).map((c) => c.ReceiptHandle), ['slow']);
  assert.is(sqs.commandCalls(DeleteMessageCommand).length, 0);
});

real('the stop grace given to the drain reaches the wind-down: a submission stuck in a call is released within it', async () => {
  const { id, text } = await queued('in/correct.zip');
  deliveries([message('stuck', text)]);
  // a download that ignores its abort signal: only the wind-down can end this submission
  const stuck: SubmissionStorage = { ...realDeps.storage, download: () => new Promise<never>(() => {}) };
  const controller = new AbortController();
  const drained = drainSubmissions({ queue, deps: { ...realDeps, storage: stuck }, signal: controller.signal, stopGraceMs: 1_500 });
  await waitFor(async () => (await subs.get(id))!.status === 'RUNNING');
  controller.abort(new RunnerError('STOPPED', 'stopped by SIGTERM'));
  const { reason } = await orHang(drained, 20_000, 'the drain');
  assert.is(reason, 'stopped');
  // released by the submission itself before the drain gave up on it (the config's 8 s grace would be too late)
  assert.equal([(await subs.get(id))!.status], ['PENDING']);
});

real('an attempt whose claim is taken over stops its tests, uploads nothing and leaves the row to the newer attempt', async () => {
  const { id } = await queued('in/correct.zip', 'slow');
  // the lease renewed every 333 ms: the renewal is what finds the takeover
  const attempt = runSubmission(id, { ...realDeps, config: { ...realDeps.config, leaseSeconds: 1 } });
  await waitFor(() => testProcesses().length > 0);
  // a second runner that judged the lease run out (as when this one was paused past it)
  const newer = await subs.claim(id, { leaseSeconds: 0 });
  assert.ok(newer.claimed);
  assert.equal(await orHang(attempt, 20_000, 'the stale attempt'), { kind: 'busy' });
  assert.equal(testProcesses(), []);
  assert.equal(await logKeys(id), []);
  const row = (await subs.get(id))!;
  assert.equal([row.status, row.attempt], ['RUNNING', 2]);
});

real('the fence before the upload stops a taken-over attempt; the published result names the log of its own attempt', async () => {
  const { id } = await queued('in/correct.zip');
  const stale = runSubmission(id, realDeps); // lease 60 s: no renewal comes before the fence
  await waitFor(async () => (await subs.get(id))!.status === 'RUNNING');
  assert.ok((await subs.claim(id, { leaseSeconds: 0 })).claimed);
  assert.equal(await orHang(stale, 30_000, 'the stale attempt'), { kind: 'busy' });
  assert.equal(await logKeys(id), []);

  await db.sql`update submissions set heartbeat_at = now() - interval '1 hour' where id = ${id}`; // attempt 2's runner died
  const outcome = await runSubmission(id, realDeps);
  assert.equal([outcome.kind, outcome.kind === 'graded' && outcome.published], ['graded', true]);
  const row = (await subs.get(id))!;
  assert.equal([row.status, row.attempt, row.logsS3Key], ['DONE', 3, `logs/${id}/3/run.log`]);
  assert.equal(await logKeys(id), [row.logsS3Key]);
  const log = await s3.client().send(new GetObjectCommand({ Bucket: 'submissions', Key: row.logsS3Key! }));
  assert.match(await log.Body!.transformToString(), 'writes 1994 as MCMXCIV');
});

async function logKeys(id: string): Promise<string[]> {
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: 'submissions', Prefix: `logs/${id}/` }));
  return (listed.Contents ?? []).map((object) => object.Key!);
}

function testProcesses(): string[] {
  return readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });
}

async function waitFor(condition: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  for (const started = Date.now(); !(await condition()); await sleep(50)) {
    if (Date.now() - started > ms) throw new Error('timed out waiting for the condition');
  }
}

real.run();
