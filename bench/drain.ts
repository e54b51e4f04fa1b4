/**
 * Drains 50 queued submissions of a sample PIT (default: the node one, correct solution) at concurrency 1 and 2,
 * through the real `drain-queue` wiring: PostgreSQL, S3 on a local s3rver over HTTP, the real sandbox;
 * only SQS is replaced by an in-process queue. Prints submissions per minute and the ratio to the
 * ideal (bare test time × N / concurrency, the test command run directly without the runner).
 *
 *   node --import tsx bench/drain.ts [count] [pitId]
 */
import { randomUUID } from 'node:crypto';
import { chmod, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { drainQueueFromConfig } from '../src/commands/drain-queue.js';
import { loadConfig } from '../src/config.js';
import { createSubmissions } from '../src/db/submissions.js';
import { silentLogger } from '../src/log.js';
import { loadPit } from '../src/pits/load.js';
import type { Queue, ReceivedMessage } from '../src/ports.js';
import { repoRoot } from '../test/helpers/cli.js';
import { freshDatabase } from '../test/helpers/db.js';
import { localS3 } from '../test/helpers/s3.js';
import { zipDirectory } from '../test/helpers/zip.js';

const count = Number(process.argv[2] ?? 50);
const pitId = process.argv[3] ?? 'javascript-node-roman-v1';
const example = path.join(repoRoot, 'examples', pitId, 'correct');

/** SQS stand-in: FIFO, no long-poll wait, visibility 0 makes a message receivable again. */
function memoryQueue(bodies: string[]): Queue {
  let next = 0;
  const make = (body: string): ReceivedMessage => ({ id: String(next), receiptHandle: `r${next++}`, body, receiveCount: 0 });
  const waiting = bodies.map(make);
  const inFlight = new Map<string, ReceivedMessage>();
  return {
    url: 'memory://bench',
    async receive({ max }) {
      const batch = waiting.splice(0, max);
      for (const m of batch) inFlight.set(m.receiptHandle, { ...m, receiveCount: m.receiveCount + 1 });
      return batch.map((m) => inFlight.get(m.receiptHandle)!);
    },
    async delete(handle) { inFlight.delete(handle); },
    async changeVisibility(handle, seconds) {
      const m = inFlight.get(handle);
      if (m && seconds === 0) (inFlight.delete(handle), waiting.push(m));
    },
    async sendBatch(more) {
      waiting.push(...more.map(make));
      return { sent: more.length };
    },
  };
}

async function bareTestMs(tmp: string, runs = 5): Promise<number[]> {
  const pit = await loadPit(path.join(repoRoot, 'pits'), pitId);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = path.join(tmp, `bare-${randomUUID()}`);
    await cp(path.join(repoRoot, 'pits', pitId), dir, { recursive: true });
    await cp(example, dir, { recursive: true });
    const started = performance.now();
    await execa('sh', ['-c', pit.testCommand], { cwd: dir });
    times.push(performance.now() - started);
  }
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-drain-'));
await chmod(tmp, 0o755);
const [db, s3] = await Promise.all([freshDatabase({ migrated: true }), localS3(['submissions'])]);
Object.assign(process.env, { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
try {
  const submissions = createSubmissions(db.sql, { leaseSeconds: 60 });
  const zip = path.join(tmp, 'correct.zip');
  await zipDirectory(example, zip);
  const zipBytes = await readFile(zip);
  const client = s3.client();
  const config = loadConfig({ ...process.env, DATABASE_URL: db.url, STORAGE_URL: 's3://submissions', RUNNER_WORK_DIR: path.join(tmp, 'work'), LOG_LEVEL: 'warn' });
  // measured before and after the drains: other load on the machine shifts both alike
  const bareBefore = await bareTestMs(tmp);
  const runs: Array<{ concurrency: number; seconds: number; graded: number; executeMs: number; totalMs: number }> = [];
  for (const concurrency of [1, 2]) {
    const bodies: string[] = [];
    for (let i = 0; i < count; i++) {
      const fileKey = `in/${randomUUID()}.zip`;
      await client.send(new PutObjectCommand({ Bucket: 'submissions', Key: fileKey, Body: zipBytes }));
      const row = await submissions.insert({ pitId, fileKey, userId: `u${i}` });
      bodies.push(JSON.stringify({ submissionId: row.id, fileKey, userId: `u${i}`, pitId, createdAt: row.createdAt.toISOString() }));
    }
    const started = performance.now();
    const { summary } = await drainQueueFromConfig({ concurrency }, { config, log: silentLogger, signal: new AbortController().signal, queue: memoryQueue(bodies) });
    const seconds = (performance.now() - started) / 1000;
    const rows = await submissions.select({ ids: bodies.map((b) => (JSON.parse(b) as { submissionId: string }).submissionId) });
    const timing = (key: 'executeMs' | 'totalMs') => median(rows.map((r) => r.feedback?.timings[key] ?? 0));
    runs.push({ concurrency, seconds, graded: summary.graded, executeMs: timing('executeMs'), totalMs: timing('totalMs') });
  }
  const bare = median([...bareBefore, ...(await bareTestMs(tmp))]);
  console.log(`bare test time (median of 10, test command run directly): ${Math.round(bare)} ms; ${count} submissions per run`);
  for (const run of runs) {
    const ideal = (bare / 1000) * count / run.concurrency;
    console.log(
      `concurrency ${run.concurrency}: ${run.graded}/${count} graded in ${run.seconds.toFixed(1)} s = ${(count / run.seconds * 60).toFixed(1)} submissions/min; ` +
      `ideal ${ideal.toFixed(1)} s, ratio ${(run.seconds / ideal).toFixed(2)}; per submission (median): execute ${run.executeMs} ms, pipeline total ${run.totalMs} ms`,
    );
  }
} finally {
  await Promise.all([db.close(), s3.close()]);
  await rm(tmp, { recursive: true, force: true });
}
