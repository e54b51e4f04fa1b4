import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../src/config.js';
import { FAULT_TABLE, policyOf, RunnerError, type ErrorCode } from '../src/errors.js';
import { gradeSubmission } from '../src/grading/pipeline.js';
import type { GradeResult } from '../src/grading/types.js';
import { loadPit } from '../src/pits/load.js';
import type { ResultsStore, SubmissionStorage } from '../src/ports.js';
import type { Sandbox } from '../src/sandbox/index.js';
import { verdictForFailure } from '../src/submissions/drain.js';
import { processMessageBody } from '../src/submissions/message.js';
import { captureLog } from './helpers/capture-log.js';
import { repoRoot } from './helpers/cli.js';
import { zipDirectory } from './helpers/zip.js';

// Every fault of the one table (src/errors.ts) walked through every mapping that reads it: the grading
// pipeline's outcome, the submission's status, the queue's ack, the exit code. The fault is raised
// where the student's code would run (a sandbox that throws it), so the real pipeline decides.
const faults = suite('faults');
const PIT = 'python-pytest-wordstats-v1';
const codes = Object.keys(FAULT_TABLE) as ErrorCode[];
let tmp: string;
let zipFile: string;

faults.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faults-'));
  zipFile = path.join(tmp, 'correct.zip');
  await zipDirectory(path.join(repoRoot, 'examples', PIT, 'correct'), zipFile);
});
faults.after(async () => { await rm(tmp, { recursive: true, force: true }); });

/** A sandbox whose every run raises `error`, as a fault found mid-run would. */
const raising = (error: RunnerError): Sandbox => ({
  isolated: false,
  mode: async () => 'self',
  prepare: async () => undefined,
  run: async () => { throw error; },
  cleanup: async (workspace) => rm(workspace, { recursive: true, force: true }),
});

const config = () => loadConfig({ RUNNER_WORK_DIR: path.join(tmp, 'work') });

faults('every code has an exit code, an ack and either a final ERROR outcome or a release', () => {
  for (const code of codes) {
    const policy = policyOf(new RunnerError(code, 'x'));
    assert.is(new RunnerError(code, 'x').exitCode, FAULT_TABLE[code].exit, code);
    assert.is(policy.status, policy.outcome ? 'ERROR' : 'RELEASED', code);
  }
  const retryableBug = policyOf(new RunnerError('INTERNAL', 'x', { retryable: true }));
  assert.equal([retryableBug.fault, retryableBug.status, retryableBug.exit], ['transient', 'RELEASED', 1]);
});

faults('a fault raised mid-run ends as the table says: its outcome with status ERROR, or thrown for release', async () => {
  const pit = await loadPit(config().pitsDir, PIT);
  for (const code of codes) {
    const { log } = captureLog();
    const row = FAULT_TABLE[code];
    const graded = await gradeSubmission({ zipFile }, pit, { config: config(), log, sandbox: raising(new RunnerError(code, `raised ${code}`)) })
      .catch((err: RunnerError) => err);
    if (row.outcome) {
      assert.not.instance(graded, RunnerError, code);
      const { result } = graded as { result: GradeResult };
      assert.equal([result.status, result.outcome, result.score, result.error?.code], ['ERROR', row.outcome, 0, code]);
    } else {
      assert.instance(graded, RunnerError, code);
      assert.is((graded as RunnerError).code, code);
    }
  }
});

faults('the queue acks a thrown fault as the table says', () => {
  const message = { id: 'm', receiptHandle: 'r', body: '{}', receiveCount: 1 };
  for (const code of codes) {
    const { log } = captureLog();
    assert.is(verdictForFailure(new RunnerError(code, 'x'), message, log).ack.action, FAULT_TABLE[code].ack, code);
  }
});

/** A queued submission of PIT `pitId` graded against `pitsDir` with a stand-in store; what was published and logged. */
async function processQueued(pitsDir: string, sandbox: Sandbox) {
  const { log, entries } = captureLog();
  const published: GradeResult[] = [];
  const submission = { id: randomUUID(), userId: 'u1', pitId: PIT, fileKey: 'k.zip', status: 'RUNNING' as const, attempt: 1 };
  const store: ResultsStore = {
    claim: async () => ({ claimed: true, attempt: 1, submission, previousStatus: 'PENDING' as const }),
    publish: async (_id, _attempt, result) => (published.push(result), true),
    release: async () => true,
    heartbeat: async () => true,
  };
  const storage: SubmissionStorage = { location: 'memory://', download: async (_key, dest) => (await cp(zipFile, dest), { bytes: 1 }), putLog: async (id) => `logs/${id}/run.log` };
  const body = JSON.stringify({ submissionId: submission.id, fileKey: 'k.zip', userId: 'u1', pitId: PIT, createdAt: new Date().toISOString() });
  await processMessageBody(body, { config: { ...config(), pitsDir }, log, store, storage, sandbox });
  const alerts = entries().filter((entry) => entry.level === 50 && entry.alert).map((entry) => entry.alert);
  return { result: published[0]!, alerts };
}

faults('an invalid PIT ends the same way found at load or mid-run: ERROR PIT_MISCONFIGURED with an alert', async () => {
  const broken = path.join(tmp, 'broken-pits');
  await cp(path.join(repoRoot, 'pits'), broken, { recursive: true });
  await writeFile(path.join(broken, `${PIT}.json`), '{"language": "python", "testCommand": 42}');
  const atLoad = await processQueued(broken, raising(new RunnerError('INTERNAL', 'the sandbox is never reached')));
  const midRun = await processQueued(path.join(repoRoot, 'pits'), raising(new RunnerError('INVALID_PIT', 'testCommand needs a shell')));
  for (const { result, alerts } of [atLoad, midRun]) {
    assert.equal([result.status, result.outcome, result.score, result.error?.code], ['ERROR', 'PIT_MISCONFIGURED', 0, 'INVALID_PIT']);
    assert.equal(alerts, ['PIT_MISCONFIGURED']);
  }
});

faults.run();
