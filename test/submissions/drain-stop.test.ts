import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { orHang, stallingServer, type StallingServer } from '../helpers/stall.js';

// `drain-queue` as a real process against an SQS endpoint that accepts connections and never answers,
// with a real PostgreSQL and local storage: the stop and the budget must hold whatever SQS does.
const stop = suite('drain-queue with an SQS that never answers');
let db: TestDatabase;
let sqs: StallingServer;
let tmp: string;
let env: Record<string, string>;
const STOP_GRACE_MS = 1_000;
/** Beyond the documented bounds: room for a loaded machine to close the database and exit (a liveness guard, not a speed check). */
const CLOSE_MS = 5_000;

stop.before(async () => {
  [db, sqs] = await Promise.all([freshDatabase({ migrated: true }), stallingServer()]);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'drain-stop-'));
  await chmod(tmp, 0o755);
  const endpoint = `http://127.0.0.1:${sqs.port}`;
  env = {
    DATABASE_URL: db.url,
    STORAGE_URL: `file://${path.join(tmp, 'storage')}`,
    RUNNER_DATA_DIR: tmp,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_SQS_QUEUE_URL: `${endpoint}/123456789012/submissions`,
    RUNNER_STOP_GRACE_MS: String(STOP_GRACE_MS),
  };
});
stop.after(async () => {
  await Promise.all([db.close(), sqs.close()]);
  await rm(tmp, { recursive: true, force: true });
});

stop('SIGTERM during a receive that never answers exits 143 within the stop bound', async () => {
  const { drain } = await receiving(['drain-queue']);
  process.kill(drain.pid!, 'SIGTERM'); // not execa's kill(): it adds a SIGKILL 5 s later
  const run = await orHang(drain, STOP_GRACE_MS + 2_000 + CLOSE_MS, 'the stopped drain');
  assert.is(run.exitCode, 143, run.stderr);
  assert.is(JSON.parse(run.stdout).reason, 'stopped');
});

stop('--max-seconds holds while the receive never answers', async () => {
  const { drain } = await receiving(['drain-queue', '--max-seconds', '2']);
  const run = await orHang(drain, 2_000 + CLOSE_MS, 'the drain past its budget');
  assert.is(run.exitCode, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout), { received: 0, graded: 0, skipped: 0, failed: 0, leftForRetry: 0, reason: 'budget' });
});

/** Starts the command and returns it (wrapped: the process is a thenable) once its first receive is open. */
async function receiving(args: string[]) {
  const before = sqs.accepted;
  const drain = runCli(args, { env, timeoutMs: 60_000 });
  for (let waited = 0; sqs.accepted === before; waited += 50) {
    assert.ok(waited < 30_000, 'the drain never opened a receive');
    await sleep(50);
  }
  return { drain };
}

stop.run();
