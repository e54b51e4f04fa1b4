import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsQueue } from '../../src/aws/sqs-queue.js';
import { withScope } from '../../src/runtime.js';
import { reprocessDeps, reprocess, type ReprocessArgs, type ReprocessDeps } from '../../src/commands/reprocess.js';
import { loadConfig } from '../../src/config.js';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { defaultMigrationsDir } from '../../src/db/migration-files.js';
import { createMigrator } from '../../src/db/migrator.js';
import { createSubmissions, type Submissions } from '../../src/db/submissions.js';
import { zipDirectory } from '../helpers/zip.js';
import postgres from 'postgres';
import { RunnerError } from '../../src/errors.js';
import type { ReprocessRepository, SelectedSubmission } from '../../src/submissions/reprocess.js';
import { silentLogger } from '../../src/log.js';
import { pitHash } from '../../src/grading/pit-hash.js';
import { loadPit } from '../../src/pits/load.js';

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
    async gradedPitIds() { return [...new Set(rows.map((row) => row.pitId))]; },
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
    repository, pitsDir: path.join(root, 'pits'), queue: createSqsQueue({ client: sqs, queueUrl: QUEUE_URL, aws: loadConfig({}).aws }), log: silentLogger, stdout, stderr: sink(), ...extra,
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

// The same command against a real PostgreSQL (embedded), real file storage and the node sample PIT;
// only SQS is mocked (for every SQSClient the command creates).
const withDatabase = suite('reprocess with a database');
const root = fileURLToPath(new URL('../..', import.meta.url));
let tmp = '';
let server: EmbeddedServer;
let sql: postgres.Sql;
let submissions: Submissions;
// Created in before(), not at import: uvu imports every test file first, and a prototype-wide mock
// made at import time would leak into the other suites' SQS clients.
let sqsMock: ReturnType<typeof mockClient>;

withDatabase.before(async () => {
  sqsMock = mockClient(SQSClient);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'reprocess-'));
  await chmod(tmp, 0o755); // the embedded server runs as the postgres user when the tests run as root
  server = await startEmbedded(path.join(tmp, 'pg'), silentLogger);
  sql = postgres(server.url, { max: 2, onnotice: () => {} });
  await createMigrator(sql, { dir: defaultMigrationsDir(), log: silentLogger }).up();
  submissions = createSubmissions(sql, { leaseSeconds: 60 });
  await mkdir(path.join(tmp, 'storage', 'submissions'), { recursive: true });
  await zipDirectory(path.join(root, 'examples/javascript-node-roman-v1/correct'), path.join(tmp, 'storage/submissions/roman.zip'), 'correct/');
});
withDatabase.after(async () => {
  sqsMock.restore();
  await sql?.end();
  await server?.stop();
  await rm(tmp, { recursive: true, force: true });
});
withDatabase.before.each(async () => {
  await sql`delete from submissions`;
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: unknown[] }) => ({ Successful: input.Entries, Failed: [] }));
});

const config = () => loadConfig({
  DATABASE_URL: server.url, STORAGE_URL: `file://${tmp}/storage`, AWS_SQS_QUEUE_URL: QUEUE_URL, AWS_REGION: 'eu-west-1',
  RUNNER_WORK_DIR: path.join(tmp, 'work'), RUNNER_DATA_DIR: path.join(tmp, 'data'), LOG_LEVEL: 'silent',
});

async function seed(statuses: Array<'PENDING' | 'DONE' | 'ERROR'>) {
  const rows = [];
  for (const status of statuses) {
    const row = await submissions.insert({ userId: '7', pitId: 'javascript-node-roman-v1', fileKey: 'submissions/roman.zip' });
    if (status !== 'PENDING') await sql`update submissions set status = ${status}, score = 0, outcome = 'FAILED' where id = ${row.id}`;
    rows.push(row);
  }
  return rows;
}

async function runCommand(args: Partial<ReprocessArgs>) {
  const mode = args.mode ?? 'enqueue';
  return withScope({ config: config(), log: silentLogger, signal: new AbortController().signal }, async (scope) => {
    const opened = await reprocessDeps(scope, { queue: mode === 'enqueue' && !args.dryRun, grade: mode === 'inline' });
    const stdout = sink();
    const code = await reprocess({ mode, ...args }, { ...opened, log: silentLogger, stdout, stderr: sink() });
    return { code, output: JSON.parse(stdout.text()) };
  });
}

const snapshot = () => sql`select id, status, attempt, updated_at from submissions order by id`;

withDatabase('--dry-run lists the selected rows and changes nothing', async () => {
  const rows = await seed(['ERROR', 'ERROR', 'DONE']);
  const before = await snapshot();
  const { code, output } = await runCommand({ status: 'ERROR', dryRun: true });
  assert.is(code, 0);
  assert.equal(output.ids.sort(), rows.slice(0, 2).map((r) => r.id).sort());
  assert.equal(await snapshot(), before);
  assert.is(sqsMock.calls().length, 0);
});

withDatabase('enqueue puts final rows back to PENDING and sends each id once', async () => {
  const rows = await seed(['ERROR', 'DONE', 'PENDING']);
  const { code, output } = await runCommand({ pit: 'javascript-node-roman-v1' });
  assert.is(code, 0);
  assert.is(output.enqueued, 3);
  const statuses = await sql`select status from submissions`;
  assert.ok(statuses.every((row) => row.status === 'PENDING'));
  const sent = sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!).submissionId));
  assert.equal(sent.sort(), rows.map((r) => r.id).sort());
});

withDatabase('inline grades the selected rows here, regrading final ones', async () => {
  const rows = await seed(['DONE', 'PENDING']);
  // concurrency 1: the sandbox sweeps its uid's processes after each run, so two runs at once kill each other
  const { code, output } = await runCommand({ mode: 'inline', ids: rows.map((r) => r.id).join(','), concurrency: 1 });
  assert.is(code, 0, JSON.stringify(output));
  assert.is(output.graded, 2);
  for (const row of rows) {
    const graded = await submissions.get(row.id);
    assert.equal([graded?.status, graded?.outcome, graded?.score, graded?.attempt], ['DONE', 'PASSED', 100, 1]);
  }
  assert.is(sqsMock.calls().length, 0);
});

withDatabase('--stale selects exactly the submissions whose current result an older (or unknown) PIT hash produced', async () => {
  const pitId = 'javascript-node-roman-v1';
  const now = await pitHash(await loadPit(path.join(root, 'pits'), pitId));
  const gradedBy = async (pit: string, hash: string | null) => {
    const row = await submissions.insert({ userId: '7', pitId: pit, fileKey: 'submissions/roman.zip' });
    const claim = await submissions.claim(row.id);
    assert.ok(claim.claimed);
    const provenance = hash === null ? undefined : { pitHash: hash, runner: { version: '0', gitSha: null, imageDigest: null }, buildTool: 'node', toolchain: {}, sandbox: null };
    await submissions.publish(row.id, claim.attempt, {
      pitId: pit, status: 'DONE', outcome: 'PASSED', score: 100, summary: { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0 }, tests: [],
      timings: { unpackMs: 0, executeMs: 0, scoreMs: 0, totalMs: 0 }, exitCode: 0, timedOut: false, logBytes: 0, logTruncated: false,
      ...(provenance && { provenance }),
    }, null);
    return row.id;
  };
  const current = await gradedBy(pitId, now);
  const older = await gradedBy(pitId, 'sha256:older');
  const unknown = await gradedBy(pitId, null);
  const [pending] = await seed(['PENDING']);
  const gone = await gradedBy('no-such-pit-v1', 'sha256:older');
  const before = await snapshot();
  const { code, output } = await runCommand({ stale: true, dryRun: true });
  assert.is(code, 0);
  assert.equal(output.ids.sort(), [older, unknown].sort());
  assert.equal(output.unloadable, ['no-such-pit-v1']);
  assert.equal(await snapshot(), before);
  assert.ok(![current, pending!.id, gone].some((id) => output.ids.includes(id)));
  const onePit = await runCommand({ stale: true, pit: pitId, status: 'DONE', dryRun: true });
  assert.equal(onePit.output.ids.sort(), [older, unknown].sort());
  assert.is(onePit.output.unloadable, undefined);
});

withDatabase.run();
