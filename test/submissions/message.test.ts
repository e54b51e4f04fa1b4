import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import { RunnerError } from '../../src/errors.js';
import { parseMessage, processMessageBody } from '../../src/submissions/message.js';
import type { GradeResult } from '../../src/grading/types.js';
import type { ResultsStore, SubmissionStorage } from '../../src/ports.js';
import { captureLog } from '../helpers/capture-log.js';
import type { Sandbox } from '../../src/sandbox/index.js';

const message = suite('message');
const valid = { submissionId: randomUUID(), fileKey: 'submissions/u1/a.zip', userId: 'u1', pitId: 'java-maven-dummy-dev', createdAt: '2025-03-01T10:00:00.000Z' };

function invalid(body: string): RunnerError {
  try {
    parseMessage(body);
  } catch (err) {
    assert.instance(err, RunnerError);
    assert.is((err as RunnerError).code, 'INVALID_MESSAGE');
    return err as RunnerError;
  }
  throw new Error('expected INVALID_MESSAGE');
}

message('a valid body parses and unknown fields are ignored', () => {
  const parsed = parseMessage(JSON.stringify({ ...valid, extra: { nested: true } }));
  assert.equal(parsed, valid);
});

message('a numeric userId and an offset timestamp are accepted', () => {
  const parsed = parseMessage(JSON.stringify({ ...valid, userId: 42, createdAt: '2025-03-01T11:00:00+01:00' }));
  assert.is(parsed.userId, '42');
});

message('every bad field is named at once', () => {
  const error = invalid(JSON.stringify({ submissionId: 'x', fileKey: '', pitId: 'Bad Id', createdAt: 'yesterday' }));
  for (const field of ['submissionId', 'fileKey', 'userId', 'pitId', 'createdAt']) assert.match(error.message, `${field}:`);
});

message('file keys that climb out or start at the root are refused', () => {
  assert.match(invalid(JSON.stringify({ ...valid, fileKey: 'submissions/../../etc/passwd' })).message, '".."');
  assert.match(invalid(JSON.stringify({ ...valid, fileKey: '/etc/passwd' })).message, 'leading /');
  assert.match(invalid(JSON.stringify({ ...valid, fileKey: 'a\\..\\b' })).message, 'fileKey');
});

message('a body that is not JSON is INVALID_MESSAGE without echoing it', () => {
  const error = invalid('{"submissionId": secret-looking');
  assert.not.match(error.message, 'secret-looking');
});

/**
 * Handles the message `valid` against a stored row naming `pitId` and a stand-in storage whose download
 * does `download`; the sandbox is never reached (the download fails or the PIT is unknown).
 */
async function handleStubbed(pitId: string, download: SubmissionStorage['download']) {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'message-'));
  const { log, entries } = captureLog();
  const published: GradeResult[] = [];
  const row = { id: valid.submissionId, userId: 'u1', pitId, fileKey: 'row/key.zip', status: 'RUNNING' as const, attempt: 1 };
  const store: ResultsStore = {
    claim: async () => ({ claimed: true, attempt: 1, submission: row, previousStatus: 'PENDING' as const }),
    publish: async (_id, _attempt, result) => (published.push(result), true),
    release: async () => true,
    heartbeat: async () => true,
  };
  const storage: SubmissionStorage = { location: 'memory://', download, putLog: async (id, attempt) => `logs/${id}/${attempt}/run.log` };
  try {
    const outcome = await processMessageBody(JSON.stringify(valid), { config: loadConfig({ RUNNER_WORK_DIR: workDir }), log, store, storage, sandbox: {} as Sandbox });
    return { outcome, published, entries: entries() };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

message('the stored row wins over the message, and the mismatch is logged', async () => {
  const downloaded: string[] = [];
  const { outcome, published, entries } = await handleStubbed('row-pit', async (key) => {
    downloaded.push(key);
    throw new RunnerError('SUBMISSION_NOT_FOUND', `${key} does not exist`);
  });
  assert.is(outcome.kind, 'graded');
  assert.equal(downloaded, ['row/key.zip']);
  assert.is(published[0]?.pitId, 'row-pit');
  assert.ok(entries.some((e) => e.level === 40 && String(e.msg).includes('disagrees')));
});

message('a row naming an unknown PIT ends ERROR PIT_UNAVAILABLE with an operator alert, not INTERNAL_ERROR', async () => {
  const { outcome, published, entries } = await handleStubbed('no-such-pit', async (_key, dest) => (await writeFile(dest, 'PK'), { bytes: 2 }));
  assert.is(outcome.kind, 'graded');
  assert.equal([published[0]?.status, published[0]?.outcome], ['ERROR', 'PIT_UNAVAILABLE']);
  assert.match(published[0]?.error?.message ?? '', "no PIT 'no-such-pit'");
  assert.ok(entries.some((e) => e.level === 50 && e.alert === 'PIT_UNAVAILABLE'));
});

message.run();
