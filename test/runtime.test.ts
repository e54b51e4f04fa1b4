import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { withScope } from '../src/runtime.js';
import { rejection } from './helpers/assert.js';

const runtime = suite('runtime');
let dir: string;
runtime.before.each(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'runtime-test-')); });
runtime.after.each(() => rm(dir, { recursive: true, force: true }));

const base = (env: Record<string, string> = {}) => ({
  config: loadConfig({ STORAGE_URL: `file://${dir}/storage`, RUNNER_DATA_DIR: path.join(dir, 'data'), ...env }),
  log: silentLogger,
  signal: new AbortController().signal,
});

runtime('opens only what the work asks for, each part once', async () => {
  await withScope(base(), async (scope) => {
    const [a, b] = await Promise.all([scope.storage(), scope.storage()]);
    assert.is(a, b);
    assert.is(a.location, `file://${dir}/storage`);
  });
  // no database was asked for: the embedded server never started
  assert.equal(await readdir(dir), []);
});

runtime('closes what was opened in reverse order, also when the work fails', async () => {
  const closed: string[] = [];
  const failure = await withScope(base(), async (scope) => {
    const s3 = await scope.s3();
    const sqs = await scope.sqs();
    s3.destroy = () => closed.push('s3');
    sqs.destroy = () => closed.push('sqs');
    throw new Error('work failed');
  }).catch((err: Error) => err);
  assert.is(failure?.message, 'work failed');
  assert.equal(closed, ['sqs', 's3']);
});

runtime('a queue without AWS_SQS_QUEUE_URL is a configuration error, nothing opened', async () => {
  const error = await rejection(withScope(base(), (scope) => scope.queue()));
  assert.equal([error.code, error.exitCode], ['CONFIG', 2]);
});

runtime.run();
