import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsQueue } from '../src/aws/queue.js';
import { reprocess, type ReprocessArgs, type ReprocessDeps } from '../src/commands/reprocess.js';
import { RunnerError } from '../src/errors.js';
import type { ReprocessRepository, SelectedSubmission } from '../src/grading/reprocess.js';
import { silentLogger } from '../src/log.js';

const reprocessSuite = suite('reprocess');
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/pit-submissions';

function sink() {
  const chunks: string[] = [];
  return Object.assign(new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } }), { text: () => chunks.join('') });
}

function rowsOf(count: number): SelectedSubmission[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(), fileKey: `submissions/${i}.zip`, userId: String(i), pitId: 'javascript-node-roman-v1', createdAt: new Date(Date.UTC(2025, 2, 1, 10, i)),
  }));
}

/** A repository over an array: records every reset, so "changed nothing" is visible. */
function memoryRepository(rows: SelectedSubmission[]) {
  const resets: string[][] = [];
  const repository: ReprocessRepository = {
    async select(filter) { return filter.ids ? rows.filter((row) => filter.ids!.includes(row.id)) : rows; },
    async resetToPending(ids) { resets.push(ids); return ids.length; },
  };
  return { repository, resets };
}

function setup(rows: SelectedSubmission[], extra: Partial<ReprocessDeps> = {}) {
  const { repository, resets } = memoryRepository(rows);
  const sqs = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sqsMock = mockClient(sqs);
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: unknown[] }) => ({ Successful: input.Entries, Failed: [] }));
  const stdout = sink();
  const deps: ReprocessDeps = {
    repository, queue: createSqsQueue({ client: sqs, queueUrl: QUEUE_URL }), log: silentLogger, stdout, stderr: sink(), ...extra,
  };
  const run = (args: Partial<ReprocessArgs>) => reprocess({ mode: 'enqueue', ...args }, deps);
  const sentBodies = () => sqsMock.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!)));
  return { run, resets, sqsMock, stdout, sentBodies };
}

reprocessSuite('--dry-run prints the count and ids and changes nothing', async () => {
  const rows = rowsOf(3);
  const { run, resets, sqsMock, stdout } = setup(rows);
  assert.is(await run({ status: 'ERROR', dryRun: true }), 0);
  assert.equal(JSON.parse(stdout.text()), { mode: 'dry-run', selected: 3, ids: rows.map((r) => r.id) });
  assert.is(resets.length, 0);
  assert.is(sqsMock.calls().length, 0);
});

reprocessSuite('enqueue resets the rows and sends each id once, ten per batch, in the queue body shape', async () => {
  const rows = rowsOf(23);
  const { run, resets, sqsMock, sentBodies, stdout } = setup(rows);
  assert.is(await run({ status: 'ERROR', yes: true }), 0);
  assert.equal(resets.flat().sort(), rows.map((r) => r.id).sort());
  assert.equal(sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries!.length), [10, 10, 3]);
  const bodies = sentBodies();
  assert.equal(bodies.map((b) => b.submissionId).sort(), rows.map((r) => r.id).sort());
  assert.equal(bodies[0], { submissionId: rows[0]!.id, fileKey: 'submissions/0.zip', userId: '0', pitId: 'javascript-node-roman-v1', createdAt: '2025-03-01T10:00:00.000Z' });
  assert.is(JSON.parse(stdout.text()).enqueued, 23);
});

reprocessSuite('more than 20 rows without a terminal and without --yes is refused (exit 2), nothing touched', async () => {
  const { run, resets, sqsMock } = setup(rowsOf(21));
  const err = await run({ pit: 'javascript-node-roman-v1' }).catch((e: unknown) => e);
  assert.instance(err, RunnerError);
  assert.is((err as RunnerError).exitCode, 2);
  assert.match((err as RunnerError).message, '--yes');
  assert.is(resets.length + sqsMock.calls().length, 0);
});

reprocessSuite('on a terminal, a declined confirmation changes nothing', async () => {
  const questions: string[] = [];
  const { run, resets, sqsMock } = setup(rowsOf(25), { confirm: async (q) => { questions.push(q); return false; } });
  assert.is(await run({ status: 'DONE' }), 0);
  assert.match(questions[0]!, 'Reprocess 25 submissions');
  assert.is(resets.length + sqsMock.calls().length, 0);
});

reprocessSuite('inline grades every row, at most --concurrency at once, and counts failures', async () => {
  const rows = rowsOf(7);
  let running = 0;
  let peak = 0;
  const graded: string[] = [];
  const grade = async (id: string) => {
    peak = Math.max(peak, ++running);
    await new Promise((resolve) => setImmediate(resolve));
    running--;
    if (id === rows[6]!.id) throw new RunnerError('TRANSIENT', 'database unreachable');
    graded.push(id);
    return { kind: 'skipped', reason: 'final' } as const;
  };
  const { run, stdout } = setup(rows, { grade });
  assert.is(await run({ mode: 'inline', concurrency: 3, status: 'ERROR' }), 75);
  assert.is(peak, 3);
  assert.equal(graded.sort(), rows.slice(0, 6).map((r) => r.id).sort());
  const summary = JSON.parse(stdout.text());
  assert.is(summary.failed, 1);
  assert.is(summary.failures[0].id, rows[6]!.id);
});

reprocessSuite('a selection is required and checked before anything opens', async () => {
  const { run } = setup([]);
  for (const [args, message] of [[{}, 'select something'], [{ ids: 'not-a-uuid' }, '--ids'], [{ status: 'LOST' }, '--status'], [{ since: 'yesterday' }, '--since']] as const) {
    const err = await run(args).catch((e: unknown) => e);
    assert.instance(err, RunnerError);
    assert.match((err as RunnerError).message, message);
  }
});

reprocessSuite.run();
