/**
 * How long a call against a dependency that accepts and never answers takes to fail, with the
 * default bounds (RUNNER_AWS_*, RUNNER_DB_*, AWS_MAX_ATTEMPTS 5): what an operator waits before a
 * task exits 75. Takes about two minutes.
 *
 *   node --import tsx bench/bounded.ts
 */
import os from 'node:os';
import { createS3Client } from '../src/storage/s3.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connection.js';
import { silentLogger } from '../src/log.js';
import { createS3Storage } from '../src/storage/s3.js';
import { stallingServer } from '../test/helpers/stall.js';

const config = loadConfig({});
const stall = await stallingServer();
const seconds = async (fn: () => Promise<unknown>) => {
  const started = performance.now();
  const outcome = await fn().then(() => 'answered', (err: { code?: string }) => err.code ?? 'error');
  return `${((performance.now() - started) / 1000).toFixed(1)} s (${outcome})`;
};

const client = createS3Client(config, { endpoint: `http://127.0.0.1:${stall.port}`, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, region: 'us-east-1' });
const storage = createS3Storage({ client, bucket: 'subs' });
console.log("S3 download, silent server:", await seconds(() => storage.download('k.zip', `${os.tmpdir()}/bench-bounded-${process.pid}`, 1000)), `${stall.accepted} connections`);
client.destroy();
console.log('PostgreSQL connect, silent server:', await seconds(() => openDatabase({ databaseUrl: `postgres://x@127.0.0.1:${stall.port}/x`, dataDir: os.tmpdir(), db: config.db }, silentLogger)));
await stall.close();

console.log(`settings: ${JSON.stringify({ aws: config.aws, db: config.db, lease: config.leaseSeconds, grace: config.submissionGraceMs })}`);
