/**
 * How long `drain-queue` takes to end when SQS accepts connections and never answers: from SIGTERM
 * (sent once its first receive is open) to its exit, and past a `--max-seconds` budget, with the default
 * stop grace (RUNNER_STOP_GRACE_MS) unless the environment sets one. A real PostgreSQL, local storage.
 * Build first (`npm run build`) to time what the image runs.
 *
 *   node --import tsx bench/stop.ts [max-seconds]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../test/helpers/cli.js';
import { freshDatabase } from '../test/helpers/db.js';
import { stallingServer } from '../test/helpers/stall.js';

const maxSeconds = Number(process.argv[2] ?? 10);
const [db, sqs] = await Promise.all([freshDatabase({ migrated: true }), stallingServer()]);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-stop-'));
const endpoint = `http://127.0.0.1:${sqs.port}`;
const env = {
  DATABASE_URL: db.url, STORAGE_URL: `file://${path.join(tmp, 'storage')}`, RUNNER_DATA_DIR: tmp,
  AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x',
  AWS_ENDPOINT_URL_SQS: endpoint, AWS_SQS_QUEUE_URL: `${endpoint}/123456789012/submissions`,
};

/** Starts the drain and resolves once its first receive is open, with the time it opened. */
async function receiving(args: string[]) {
  const before = sqs.accepted;
  const drain = runCli(args, { env, timeoutMs: 600_000 });
  while (sqs.accepted === before) await sleep(20);
  return { drain, opened: performance.now() };
}

try {
  const stopped = await receiving(['drain-queue']);
  process.kill(stopped.drain.pid!, 'SIGTERM'); // not execa's kill(): it adds a SIGKILL 5 s later
  const stop = await stopped.drain;
  console.log(`SIGTERM during a receive that never answers: exit ${stop.exitCode} after ${((performance.now() - stopped.opened) / 1000).toFixed(1)} s`);

  const started = performance.now();
  const budget = await receiving(['drain-queue', '--max-seconds', String(maxSeconds)]);
  const spent = await budget.drain;
  const total = (performance.now() - started) / 1000;
  console.log(`--max-seconds ${maxSeconds} with a receive that never answers: exit ${spent.exitCode} (${JSON.parse(spent.stdout).reason}) ${total.toFixed(1)} s after the start, ${((performance.now() - budget.opened) / 1000).toFixed(1)} s after its first receive opened`);
} finally {
  await Promise.all([db.close(), sqs.close()]);
  await rm(tmp, { recursive: true, force: true });
}
