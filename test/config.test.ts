import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../src/config.js';
import { RunnerError } from '../src/errors.js';

const config = suite('config');

config('defaults apply when the environment is empty', () => {
  const c = loadConfig({});
  assert.is(c.timeoutMs, 600_000);
  assert.is(c.maxLogBytes, 1_048_576);
  assert.ok(c.storageUrl.startsWith('file://'));
  assert.is(c.databaseUrl, undefined);
  assert.ok(Object.isFrozen(c));
});

config('lists every problem at once', () => {
  try {
    loadConfig({ RUNNER_TIMEOUT_MS: 'soon', RUNNER_MAX_LOG_BYTES: '-1', AWS_SQS_QUEUE_URL: 'not a url' });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, RunnerError);
    const e = err as RunnerError;
    assert.is(e.code, 'CONFIG');
    assert.is(e.exitCode, 2);
    for (const name of ['RUNNER_TIMEOUT_MS', 'RUNNER_MAX_LOG_BYTES', 'AWS_SQS_QUEUE_URL']) assert.match(e.message, name);
  }
});

config('AWS_S3_BUCKET selects S3 storage unless STORAGE_URL says otherwise', () => {
  assert.is(loadConfig({ AWS_S3_BUCKET: 'subs' }).storageUrl, 's3://subs');
  assert.is(loadConfig({ AWS_S3_BUCKET: 'subs', STORAGE_URL: 'file:///srv/x' }).storageUrl, 'file:///srv/x');
  assert.throws(() => loadConfig({ STORAGE_URL: 'ftp://x' }), /STORAGE_URL/);
});

config('a sandbox uid or gid of 0 is refused: tests would run as root', () => {
  assert.throws(() => loadConfig({ RUNNER_SANDBOX_UID: '0' }), /RUNNER_SANDBOX_UID/);
  assert.throws(() => loadConfig({ RUNNER_SANDBOX_GID: '0' }), /RUNNER_SANDBOX_GID/);
});

config('call and work bounds have defaults and each variable tunes one', () => {
  const c = loadConfig({});
  assert.equal([c.aws, c.db, c.leaseSeconds, c.submissionGraceMs], [{ connectTimeoutMs: 3000, requestTimeoutMs: 15000 }, { connectTimeoutS: 5, statementTimeoutMs: 30000 }, 60, 120000]);
  const tuned = loadConfig({ RUNNER_AWS_REQUEST_TIMEOUT_MS: '2000', RUNNER_DB_STATEMENT_TIMEOUT_MS: '900', RUNNER_LEASE_S: '30' });
  assert.equal([tuned.aws.requestTimeoutMs, tuned.aws.connectTimeoutMs, tuned.db.statementTimeoutMs, tuned.leaseSeconds], [2000, 3000, 900, 30]);
  assert.throws(() => loadConfig({ RUNNER_AWS_CONNECT_TIMEOUT_MS: '0' }), /RUNNER_AWS_CONNECT_TIMEOUT_MS/);
});

config('RUNNER_SANDBOX_MODE is auto unless set to namespaces or uid; anything else is refused', () => {
  assert.is(loadConfig({}).sandbox.mode, 'auto');
  assert.is(loadConfig({ RUNNER_SANDBOX_MODE: 'uid' }).sandbox.mode, 'uid');
  assert.throws(() => loadConfig({ RUNNER_SANDBOX_MODE: 'self' }), /RUNNER_SANDBOX_MODE/);
});

config('RUNNER_SANDBOX_POOL_SIZE is 16 unless set to a whole number from 1 to 1024', () => {
  assert.is(loadConfig({}).sandbox.poolSize, 16);
  assert.is(loadConfig({ RUNNER_SANDBOX_POOL_SIZE: '4' }).sandbox.poolSize, 4);
  assert.throws(() => loadConfig({ RUNNER_SANDBOX_POOL_SIZE: '0' }), /RUNNER_SANDBOX_POOL_SIZE/);
});

config.run();
