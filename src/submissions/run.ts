import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { withRetry } from '../retry.js';
import { errorResult, gradeSubmission, type Graded } from '../grading/pipeline.js';
import type { Sandbox } from '../sandbox/index.js';
import { loadPit } from '../pits/load.js';
import type { GradeResult, Outcome } from '../grading/types.js';
import type { ResultsStore, SubmissionStorage } from '../ports.js';

export interface SubmissionDeps {
  config: Config;
  log: Logger;
  store: ResultsStore;
  storage: SubmissionStorage;
  signal?: AbortSignal;
  sandbox?: Sandbox;
}

export type SubmissionOutcome =
  | { kind: 'graded'; attempt: number; result: GradeResult; published: boolean }
  | { kind: 'skipped'; reason: 'final' }
  | { kind: 'missing' };

/**
 * claim → fetch → grade → publish for one stored submission. The student's faults end as a DONE or
 * ERROR row. A transient fault (after retries) or a stop releases the row to PENDING and is thrown,
 * so the queue message stays for redelivery. `published: false` means a newer attempt owns the row.
 */
export async function runSubmission(submissionId: string, deps: SubmissionDeps, options: { force?: boolean } = {}): Promise<SubmissionOutcome> {
  const { store, storage, config } = deps;
  const claim = await withRetry('claim', () => store.claim(submissionId, options), deps.log);
  if (!claim.claimed) {
    deps.log.info({ submissionId, reason: claim.reason, status: claim.status }, claim.reason === 'final' ? 'already final: skipped' : 'no such submission');
    return claim.reason === 'final' ? { kind: 'skipped', reason: 'final' } : { kind: 'missing' };
  }
  const { attempt, submission, previousStatus } = claim;
  // a forced regrade of a final row that cannot finish keeps its earlier result: no message would
  // ever bring a PENDING row back
  const releaseTo = previousStatus === 'DONE' || previousStatus === 'ERROR' ? previousStatus : 'PENDING';
  const log = deps.log.child({ submissionId, attempt, pitId: submission.pitId });
  log.info({ step: 'claim' }, 'claimed');

  try {
    const graded = await fetchAndGrade(submission.fileKey, submission.pitId, { ...deps, log }, config);
    const logsKey = await withRetry('upload log', () => storage.putLog(submissionId, graded.log), log);
    const published = await withRetry('publish', () => store.publish(submissionId, attempt, graded.result, logsKey), log);
    const fields = { step: 'publish', status: graded.result.status, outcome: graded.result.outcome, score: graded.result.score, logsKey };
    if (published) log.info(fields, 'published');
    else log.warn(fields, 'a newer attempt owns this submission: result not written');
    return { kind: 'graded', attempt, result: graded.result, published };
  } catch (err) {
    const error = toRunnerError(err);
    const released = await store.release(submissionId, attempt, releaseTo).catch(() => false);
    log.warn({ code: error.code, released }, `not graded: ${error.message}`);
    throw error;
  }
}

/**
 * Downloads the ZIP into a runner-private folder and loads the PIT; a missing or oversized object is
 * the submission's fault, a PIT this runner cannot load is the configuration's (the operator is alerted).
 */
async function fetchAndGrade(fileKey: string, pitId: string, deps: SubmissionDeps, config: Config): Promise<Graded> {
  await mkdir(config.workDir, { recursive: true, mode: 0o711 });
  const downloads = await mkdtemp(path.join(config.workDir, 'dl-'));
  try {
    const zipFile = path.join(downloads, 'submission.zip');
    const started = performance.now();
    try {
      await deps.storage.download(fileKey, zipFile, config.zip.maxZipBytes);
    } catch (err) {
      const error = toRunnerError(err);
      if (error.code !== 'SUBMISSION_NOT_FOUND' && error.code !== 'INVALID_SUBMISSION') throw error;
      return notGraded(pitId, 'INVALID_SUBMISSION', error);
    }
    const fetchMs = Math.round(performance.now() - started);
    deps.log.info({ step: 'fetch', ms: fetchMs }, 'fetch done');
    const pit = await loadPit(config.pitsDir, pitId).catch((err) => toRunnerError(err));
    if (pit instanceof RunnerError) {
      if (pit.code !== 'UNKNOWN_PIT' && pit.code !== 'INVALID_PIT') throw pit;
      deps.log.error({ alert: 'PIT_UNAVAILABLE', code: pit.code, err: pit.message }, 'the submission names a PIT this runner cannot load: deploy or fix it, then reprocess');
      return notGraded(pitId, 'PIT_UNAVAILABLE', pit);
    }
    const graded = await gradeSubmission({ zipFile }, pit, deps);
    graded.result.timings.fetchMs = fetchMs;
    return graded;
  } finally {
    await rm(downloads, { recursive: true, force: true });
  }
}

function notGraded(pitId: string, outcome: Outcome, error: RunnerError): Graded {
  const log = Buffer.from(`pit-runner: ${error.message}\n`);
  return {
    log,
    result: {
      pitId,
      ...errorResult(outcome, error),
      timings: { unpackMs: 0, executeMs: 0, scoreMs: 0, totalMs: 0 },
      logBytes: log.length,
      logTruncated: false,
    },
  };
}
