import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createSqsQueue } from '../../src/aws/sqs-queue.js';
import { drainSubmissions, retryDelaySeconds } from '../../src/submissions/drain.js';
import { LONG_POLL_ALLOWANCE_MS } from '../../src/aws/clients.js';
import { createEcsClient } from '../../src/aws/dispatch.js';
import { createLogsClient } from '../../src/aws/logs.js';
import { createSecretsClient } from '../../src/aws/secrets.js';
import { createSqsClient } from '../../src/aws/sqs-queue.js';
import { createS3Client } from '../../src/storage/s3.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/connection.js';
import { createSubmissions } from '../../src/db/submissions.js';
import { isTransient } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { createFileStorage } from '../../src/storage/file.js';
import { createS3Storage } from '../../src/storage/s3.js';
import { runSubmission } from '../../src/submissions/run.js';
import { rejection } from '../helpers/assert.js';
import { sandboxFor } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { orHang, stallingServer, type StallingServer } from '../helpers/stall.js';
import { writeZip } from '../helpers/zip.js';

// A dependency that accepts connections and never answers, standing in for S3 and for PostgreSQL.
const bounded = suite('bounded calls');
let db: TestDatabase;
let stall: StallingServer;
let tmp: string;
const keys = { accessKeyId: 'test', secretAccessKey: 'test' };
const quick = { region: 'us-east-1', aws: { connectTimeoutMs: 500, requestTimeoutMs: 1_000 } };

bounded.before(async () => {
  db = await freshDatabase({ migrated: true });
  stall = await stallingServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'bounded-'));
  await chmod(tmp, 0o711);
});
bounded.after(async () => {
  await stall.close();
  await db.close();
  await rm(tmp, { recursive: true, force: true });
});

const s3Storage = (port: number, config = quick) =>
  createS3Storage({ client: createS3Client(config, { endpoint: `http://127.0.0.1:${port}`, credentials: keys, maxAttempts: 2 }), bucket: 'subs' });
const row = async (id: string) => (await db.sql`select status, attempt from submissions where id = ${id}`)[0]!;

bounded('an S3 download from a server that never answers fails TRANSIENT, after the SDK retried it', async () => {
  const before = stall.accepted;
  const error = await orHang(rejection(s3Storage(stall.port).download('in/a.zip', path.join(tmp, randomUUID()), 1000)), 30_000, 'download');
  assert.is(error.code, 'TRANSIENT');
  assert.match(error.message, 'requestTimeout');
  assert.is(stall.accepted - before, 2, 'one connection per attempt');
});

bounded('ECS, CloudWatch Logs and Secrets Manager calls to a server that never answers time out as transient faults', async () => {
  const options = { endpoint: `http://127.0.0.1:${stall.port}`, credentials: keys, maxAttempts: 1 };
  const [ecs, logs, secrets] = [createEcsClient(quick, options), createLogsClient(quick, options), createSecretsClient(quick, options)];
  const calls = [
    () => ecs.send(new DescribeTasksCommand({ tasks: ['t'] })),
    () => logs.send(new GetLogEventsCommand({ logGroupName: 'g', logStreamName: 's' })),
    () => secrets.send(new GetSecretValueCommand({ SecretId: 's' })),
  ];
  for (const call of calls) {
    const error = await orHang(call().then(() => undefined, (err: unknown) => err), 30_000, 'call');
    assert.is((error as Error).name, 'TimeoutError');
    assert.ok(isTransient(error));
  }
  for (const client of [ecs, logs, secrets]) client.destroy();
});

bounded('SQS calls are bounded too, with room for a 20 s long poll', async () => {
  const client = createSqsClient(quick, { endpoint: `http://127.0.0.1:${stall.port}`, credentials: keys, maxAttempts: 1 });
  const queueUrl = `http://127.0.0.1:${stall.port}/000000000000/q`;
  await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 20 }), { abortSignal: AbortSignal.timeout(500) }).catch(() => undefined);
  const handler = client.config.requestHandler as unknown as { httpHandlerConfigs(): Record<string, unknown> };
  const bounds = handler.httpHandlerConfigs();
  assert.equal([bounds.connectionTimeout, bounds.requestTimeout, bounds.socketTimeout, bounds.throwOnRequestTimeout], [500, 1_000 + LONG_POLL_ALLOWANCE_MS, 1_000 + LONG_POLL_ALLOWANCE_MS, true]);
  client.destroy();
});

bounded('an S3 download whose body stops after the headers fails TRANSIENT', async () => {
  const halfway = await stallingServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: application/zip\r\n\r\n0123456789'));
  try {
    const error = await orHang(rejection(s3Storage(halfway.port).download('in/a.zip', path.join(tmp, randomUUID()), 5000)), 30_000, 'download');
    assert.is(error.code, 'TRANSIENT');
    assert.match(error.message, 'interrupted');
  } finally {
    await halfway.close();
  }
});

bounded('an S3 log upload to a server that never answers fails TRANSIENT', async () => {
  const error = await orHang(rejection(s3Storage(stall.port).putLog(randomUUID(), 1, Buffer.from('log'))), 30_000, 'putLog');
  assert.is(error.code, 'TRANSIENT');
});

bounded('a PostgreSQL that never answers the startup fails TRANSIENT at the connect timeout', async () => {
  const url = `postgres://runner:secret@127.0.0.1:${stall.port}/pit`;
  const error = await orHang(rejection(openDatabase({ databaseUrl: url, dataDir: tmp, db: { connectTimeoutS: 1, statementTimeoutMs: 1_000 } }, silentLogger)), 30_000, 'openDatabase');
  assert.is(error.code, 'TRANSIENT');
  assert.match(error.message, 'unreachable');
  assert.not.match(error.message, 'secret');
});

bounded('a database that freezes after connecting: the store gives up on the query with a transient fault', async () => {
  const proxy = await freezingProxy(new URL(db.url));
  const database = await openDatabase({ databaseUrl: proxy.url, dataDir: tmp, db: { connectTimeoutS: 2, statementTimeoutMs: 500 } }, silentLogger);
  try {
    const store = createSubmissions(database.sql, { leaseSeconds: 60 });
    assert.is((await store.claim(randomUUID())).claimed, false, 'answers while the line is up');
    proxy.freeze();
    const error = await orHang(store.claim(randomUUID()).then(() => undefined, (err: unknown) => err), 30_000, 'claim');
    assert.is((error as { code?: string }).code, 'ETIMEDOUT');
    assert.ok(isTransient(error));
  } finally {
    proxy.close();
    await database.close().catch(() => undefined);
  }
});

// `process --submission-id` through the CLI: a real PostgreSQL row, S3 or the database hanging.
async function insertRow(pitId = 'javascript-node-roman-v1') {
  const id = randomUUID();
  await createSubmissions(db.sql, { leaseSeconds: 60 }).insert({ id, pitId, fileKey: `submissions/${id}.zip` });
  return id;
}

bounded('process --submission-id with S3 hanging exits 75 and leaves the row PENDING', async () => {
  const id = await insertRow();
  const run = await runCli(['process', '--submission-id', id], {
    timeoutMs: 60_000,
    env: {
      DATABASE_URL: db.url, STORAGE_URL: 's3://subs', RUNNER_WORK_DIR: path.join(tmp, 'work'),
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${stall.port}`, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
      AWS_MAX_ATTEMPTS: '2', RUNNER_AWS_CONNECT_TIMEOUT_MS: '500', RUNNER_AWS_REQUEST_TIMEOUT_MS: '1000',
    },
  });
  assert.is(run.exitCode, 75, run.stderr);
  assert.match(run.stderr, 'S3 is unavailable');
  assert.equal(await row(id), { status: 'PENDING', attempt: 1 });
});

bounded('SIGTERM while S3 hangs releases the row at once and exits 143', async () => {
  const id = await insertRow();
  const before = stall.accepted;
  const child = runCli(['process', '--submission-id', id], {
    timeoutMs: 60_000,
    env: {
      DATABASE_URL: db.url, STORAGE_URL: 's3://subs', RUNNER_WORK_DIR: path.join(tmp, 'work'),
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${stall.port}`, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
    },
  });
  for (let i = 0; i < 300 && stall.accepted === before; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill('SIGTERM');
  const run = await child;
  assert.is(run.exitCode, 143, run.stderr);
  assert.equal(await row(id), { status: 'PENDING', attempt: 1 });
});

/** A work folder holding what a dead runner left: the sweep that prepares a grader removes it. */
async function workWithLeftover(name: string): Promise<{ workDir: string; leftover: string }> {
  const workDir = path.join(tmp, name);
  const leftover = path.join(workDir, 'sub-999999999-dead');
  await mkdir(leftover, { recursive: true });
  await utimes(leftover, new Date(0), new Date(0));
  return { workDir, leftover };
}

for (const command of [['process', '--submission-id', randomUUID()], ['drain-queue']]) {
  bounded(`${command[0]} with PostgreSQL hanging exits 75 and prepares no grader first`, async () => {
    const { workDir, leftover } = await workWithLeftover(`db-first-${command[0]}`);
    const run = await runCli(command, {
      timeoutMs: 60_000,
      env: {
        DATABASE_URL: `postgres://runner@127.0.0.1:${stall.port}/pit`, STORAGE_URL: `file://${tmp}`, RUNNER_DB_CONNECT_TIMEOUT_S: '1',
        RUNNER_WORK_DIR: workDir, AWS_SQS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/never-called', AWS_REGION: 'us-east-1',
      },
    });
    assert.is(run.exitCode, 75, run.stderr);
    assert.match(run.stderr, 'unreachable');
    assert.ok(existsSync(leftover), 'no leftovers sweep (no sandbox) before the database answered');
  });
}

bounded('drain-queue without AWS_SQS_QUEUE_URL exits 2 before it opens the database', async () => {
  const before = stall.accepted;
  const run = await runCli(['drain-queue'], { env: { DATABASE_URL: `postgres://runner@127.0.0.1:${stall.port}/pit`, STORAGE_URL: `file://${tmp}`, AWS_SQS_QUEUE_URL: '' } });
  assert.is(run.exitCode, 2, run.stderr);
  assert.match(run.stderr, 'AWS_SQS_QUEUE_URL');
  assert.is(stall.accepted, before, 'no connection was made');
});

bounded('a submission still fetching at its deadline is released to PENDING, and the fault is transient', async () => {
  const id = await insertRow();
  // calls that would wait a minute: the deadline (1 s time limit + 1 s grace) comes first
  const config = loadConfig({ RUNNER_WORK_DIR: path.join(tmp, 'work'), RUNNER_TIMEOUT_MS: '1000', RUNNER_SUBMISSION_GRACE_MS: '1000' });
  const storage = s3Storage(stall.port, { region: 'us-east-1', aws: { connectTimeoutMs: 60_000, requestTimeoutMs: 60_000 } });
  const error = await orHang(rejection(runSubmission(id, { config, log: silentLogger, store: createSubmissions(db.sql, { leaseSeconds: 60 }), storage, sandbox: sandboxFor(config) })), 30_000, 'runSubmission');
  assert.is(error.code, 'TRANSIENT');
  assert.match(error.message, 'deadline of 2 s');
  assert.equal(await row(id), { status: 'PENDING', attempt: 1 });
});

bounded('drain-queue with S3 silent: the row goes back to PENDING and the message is left for a retry, within its bounds', async () => {
  const sqs = new SQSClient({ region: 'us-east-1', credentials: keys });
  const sqsMock = mockClient(sqs);
  const queue = createSqsQueue({ client: sqs, queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/submissions', aws: quick.aws });
  const store = createSubmissions(db.sql, { leaseSeconds: 60 });
  const submission = await store.insert({ pitId: 'javascript-node-roman-v1', fileKey: 'in/a.zip', userId: 'u1' });
  const body = JSON.stringify({ submissionId: submission.id, fileKey: 'in/a.zip', userId: 'u1', pitId: 'javascript-node-roman-v1', createdAt: submission.createdAt.toISOString() });
  sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: body, Attributes: { ApproximateReceiveCount: '1' } }] }).resolves({ Messages: [] });
  sqsMock.on(ChangeMessageVisibilityCommand).resolves({});
  sqsMock.on(DeleteMessageCommand).resolves({});
  const drainConfig = loadConfig({ RUNNER_WORK_DIR: path.join(tmp, 'drain-work'), RUNNER_POLL_INTERVAL_MS: '0' });
  const deps = { config: drainConfig, log: silentLogger, store, storage: s3Storage(stall.port), sandbox: sandboxFor(drainConfig) };
  const started = Date.now();
  const { summary, reason } = await orHang(drainSubmissions({ queue, deps, waitSeconds: 0, maxSeconds: 20 }), 30_000, 'drain');
  assert.ok(Date.now() - started < 20_000, 'within --max-seconds');
  assert.equal([reason, summary.failed, summary.leftForRetry], ['empty', 1, 1]);
  assert.equal(await row(submission.id), { status: 'PENDING', attempt: 1 });
  assert.equal(sqsMock.commandCalls(DeleteMessageCommand).length, 0);
  assert.ok(sqsMock.commandCalls(ChangeMessageVisibilityCommand).some((call) => call.args[0].input.ReceiptHandle === 'r1' && call.args[0].input.VisibilityTimeout === retryDelaySeconds(1)));
});

bounded.run();

// A live claim is respected: the same submission graded twice at once runs its tests once.
const lease = suite('live claim');
let leaseDb: TestDatabase;
let dir: string;

lease.before(async () => {
  leaseDb = await freshDatabase({ migrated: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'lease-'));
  await chmod(dir, 0o711);
  await mkdir(path.join(dir, 'pits'));
  await mkdir(path.join(dir, 'storage'));
  await writeFile(path.join(dir, 'pits', 'shell-slow.json'), JSON.stringify({ language: 'shell', buildTool: 'node', testCommand: 'sh run.sh', maxTimeoutMs: 60000 }));
});
lease.after(async () => {
  await leaseDb.close();
  await rm(dir, { recursive: true, force: true });
});

lease('a duplicate delivery while the first copy grades ends busy: one attempt, one run', async () => {
  const id = randomUUID();
  await writeZip(path.join(dir, 'storage', `${id}.zip`), [{ name: 'run.sh', data: 'sleep 2\n' }]);
  const store = createSubmissions(leaseDb.sql, { leaseSeconds: 60 });
  await store.insert({ id, pitId: 'shell-slow', fileKey: `${id}.zip` });
  const config = loadConfig({ PITS_DIR: path.join(dir, 'pits'), RUNNER_WORK_DIR: path.join(dir, 'work') });
  const deps = { config, log: silentLogger, store, storage: createFileStorage(path.join(dir, 'storage')), sandbox: sandboxFor(config) };
  const outcomes = await Promise.all([runSubmission(id, deps), runSubmission(id, deps)]);
  assert.equal(outcomes.map((o) => o.kind).sort(), ['busy', 'graded']);
  const [stored] = await leaseDb.sql`select status, attempt, heartbeat_at from submissions where id = ${id}`;
  assert.equal([stored!.status, stored!.attempt, stored!.heartbeat_at], ['DONE', 1, null]);
});

lease.run();

/** A TCP proxy to `target` that, once frozen, stops passing bytes either way (the line goes silent). */
async function freezingProxy(target: URL): Promise<{ url: string; freeze(): void; close(): void }> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (chunk) => { if (!frozen) to.write(chunk); });
      from.on('error', () => undefined);
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url: url.toString(),
    freeze: () => { frozen = true; },
    close: () => { for (const socket of sockets) socket.destroy(); server.close(); },
  };
}
