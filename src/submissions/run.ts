import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { faultOf, RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { withRetry } from '../retry.js';
import { errorResult, gradeSubmission, timeLimitMs, type Graded } from '../grading/pipeline.js';
import { STOP_GRACE_MS } from '../queue/consumer.js';
import type { Sandbox } from '../sandbox/index.js';
import { loadPit } from '../pits/load.js';
import { studentFeedback } from '../grading/feedback.js';
import { describeRun, provenanceHeader } from '../grading/provenance.js';
import type { GradeResult, Outcome, PitConfig } from '../grading/types.js';
import type { ResultsStore, SubmissionRecord, SubmissionStorage } from '../ports.js';

export interface SubmissionDeps {
  config: Config;
  log: Logger;
  store: ResultsStore;
  storage: SubmissionStorage;
  signal?: AbortSignal;
  sandbox: Sandbox;
}

export type SubmissionOutcome =
  /** `current: false`: an ERROR recorded beside the grade the submission keeps. */
  | { kind: 'graded'; attempt: number; result: GradeResult; published: boolean; current: boolean }
  | { kind: 'skipped'; reason: 'final' }
  /** Another runner is grading it under a live lease: keep the message for later (not an error). */
  | { kind: 'busy' }
  | { kind: 'missing' };

/**
 * After a stop or the deadline, how long the work may take to wind down (kill tests, clean up) before it
 * is abandoned and its row released: shorter than the grace the queue's consumer gives a stopped
 * handler, so the row is released before the consumer hands the message back and the process exits.
 */
const WIND_DOWN_MS = STOP_GRACE_MS - 2_000;

/**
 * claim → fetch → grade → publish for one stored submission. The student's faults end as a DONE or
 * ERROR row. A transient fault (after retries), a stop or the submission's deadline (its PIT's time
 * limit + RUNNER_SUBMISSION_GRACE_MS) releases the row to PENDING and is thrown (TRANSIENT, or
 * STOPPED), so the queue message stays for redelivery. While the work runs, the row's lease is renewed
 * every third of RUNNER_LEASE_S, so a duplicate delivery meanwhile ends `busy` instead of grading it
 * again. `published: false` means a newer attempt owns the row.
 */
export async function runSubmission(submissionId: string, deps: SubmissionDeps, options: { force?: boolean } = {}): Promise<SubmissionOutcome> {
  const { store, config } = deps;
  const claim = await withRetry('claim', () => store.claim(submissionId, { ...options, leaseSeconds: config.leaseSeconds }), deps.log);
  if (!claim.claimed) {
    deps.log.info({ submissionId, reason: claim.reason, status: claim.status }, skipMessages[claim.reason]);
    if (claim.reason === 'final') return { kind: 'skipped', reason: 'final' };
    return { kind: claim.reason };
  }
  const { attempt, submission, previousStatus } = claim;
  // a forced regrade of a final row that cannot finish keeps its earlier result: no message would
  // ever bring a PENDING row back
  const releaseTo = previousStatus === 'DONE' || previousStatus === 'ERROR' ? previousStatus : 'PENDING';
  const log = deps.log.child({ submissionId, attempt, pitId: submission.pitId });
  log.info({ step: 'claim' }, 'claimed');

  const lease = renewLease(() => store.heartbeat(submissionId, attempt), config.leaseSeconds, log);
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    // an unknown or invalid PIT fails after the fetch, as before (a missing ZIP is still the student's ERROR)
    const pit = await loadPit(config.pitsDir, submission.pitId).catch((err: unknown) => toRunnerError(err));
    const deadlineMs = timeLimitMs(pit instanceof RunnerError ? undefined : pit, config) + config.submissionGraceMs;
    timer = setTimeout(() => deadline.abort(pastDeadline(deadlineMs)), deadlineMs);
    const signal = deps.signal ? AbortSignal.any([deps.signal, deadline.signal]) : deadline.signal;
    const work = gradeAndPublish(submissionId, attempt, submission, pit, { ...deps, log, signal });
    return await windDown(work, signal, WIND_DOWN_MS);
  } catch (err) {
    // the sandbox reports any abort as a stop: past the deadline it is the deadline's transient fault
    const error = deadline.signal.aborted && !deps.signal?.aborted ? (deadline.signal.reason as RunnerError) : toRunnerError(err);
    const released = await store.release(submissionId, attempt, releaseTo).catch(() => false);
    log.warn({ code: error.code, released }, `not graded: ${error.message}`);
    throw error;
  } finally {
    clearTimeout(timer);
    lease.stop();
  }
}

const skipMessages = { final: 'already final: skipped', busy: 'being graded under a live lease: left for later', missing: 'no such submission' } as const;

async function gradeAndPublish(submissionId: string, attempt: number, submission: SubmissionRecord, pit: PitConfig | RunnerError, deps: SubmissionDeps): Promise<SubmissionOutcome> {
  const { store, storage, log } = deps;
  const graded = await fetchAndGrade(submission, pit, deps);
  const logsKey = await withRetry('upload log', () => storage.putLog(submissionId, graded.log, deps.signal), log);
  const student = studentFeedback(graded.result);
  const written = await withRetry('publish', () => store.publish(submissionId, attempt, graded.result, logsKey, student), log);
  const fields = { step: 'publish', status: graded.result.status, outcome: graded.result.outcome, score: graded.result.score, logsKey };
  if (written === 'beside') log.warn(fields, 'not graded: recorded beside the earlier grade, which stays current');
  else if (written) log.info(fields, 'published');
  else log.warn(fields, 'a newer attempt owns this submission: result not written');
  return { kind: 'graded', attempt, result: graded.result, published: written !== false, current: written === true };
}

function pastDeadline(deadlineMs: number): RunnerError {
  return new RunnerError('TRANSIENT', `the submission was not graded within its deadline of ${Math.round(deadlineMs / 1000)} s (its PIT's time limit + RUNNER_SUBMISSION_GRACE_MS): released for a later attempt`, { details: { deadlineMs } });
}

/**
 * The work's own result; once `signal` aborts, the work gets `graceMs` to wind down (the sandbox kills
 * the tests and removes the workspace), then it is abandoned with the abort's reason: a call stalled
 * past its own bounds must not keep the submission.
 */
async function windDown<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  let onAbort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<never>((_, reject) => {
    onAbort = () => { timer = setTimeout(() => reject(signal.reason), graceMs); };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, abandoned]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
    clearTimeout(timer);
  }
}

/** Renews the claim's heartbeat every third of the lease until stopped; a failed renewal is logged, not fatal. */
function renewLease(renew: () => Promise<boolean>, leaseSeconds: number, log: Logger): { stop(): void } {
  const interval = setInterval(() => {
    renew().then(
      (held) => { if (!held) log.warn({ step: 'heartbeat' }, 'the claim was taken over: this attempt will not be published'); },
      (err: Error) => log.warn({ step: 'heartbeat', err: err.message }, 'heartbeat failed: the lease may run out'),
    );
  }, (leaseSeconds * 1000) / 3);
  interval.unref();
  return { stop: () => clearInterval(interval) };
}

/**
 * Downloads the ZIP into a runner-private folder; a missing or oversized object is the submission's
 * fault, a PIT this runner cannot load is the configuration's (the operator is alerted).
 */
async function fetchAndGrade({ fileKey, pitId }: SubmissionRecord, pit: PitConfig | RunnerError, deps: SubmissionDeps): Promise<Graded> {
  const { config } = deps;
  await mkdir(config.workDir, { recursive: true, mode: 0o711 });
  const downloads = await mkdtemp(path.join(config.workDir, `dl-${process.pid}-`));
  try {
    const zipFile = path.join(downloads, 'submission.zip');
    const started = performance.now();
    try {
      await deps.storage.download(fileKey, zipFile, config.zip.maxZipBytes, deps.signal);
    } catch (err) {
      if (faultOf(err) !== 'student') throw err;
      return await notGraded(pitId, 'INVALID_SUBMISSION', toRunnerError(err), pit, deps);
    }
    const fetchMs = Math.round(performance.now() - started);
    deps.log.info({ step: 'fetch', ms: fetchMs }, 'fetch done');
    if (pit instanceof RunnerError) {
      if (faultOf(pit) !== 'exercise') throw pit;
      deps.log.error({ alert: 'PIT_UNAVAILABLE', code: pit.code, err: pit.message }, 'the submission names a PIT this runner cannot load: deploy or fix it, then reprocess');
      return await notGraded(pitId, 'PIT_UNAVAILABLE', pit, pit, deps);
    }
    const graded = await gradeSubmission({ zipFile }, pit, deps);
    graded.result.timings.fetchMs = fetchMs;
    return graded;
  } finally {
    await rm(downloads, { recursive: true, force: true });
  }
}

async function notGraded(pitId: string, outcome: Outcome, error: RunnerError, pit: PitConfig | RunnerError, deps: SubmissionDeps): Promise<Graded> {
  const loaded = pit instanceof RunnerError ? undefined : pit;
  const provenance = await describeRun(loaded, { sandbox: deps.sandbox, timeoutMs: timeLimitMs(loaded, deps.config) });
  const log = Buffer.from([...provenanceHeader(provenance), `pit-runner: ${error.message}`, ''].join('\n'));
  return {
    log,
    result: {
      pitId,
      ...errorResult(outcome, error),
      timings: { unpackMs: 0, executeMs: 0, scoreMs: 0, totalMs: 0 },
      logBytes: log.length,
      logTruncated: false,
      provenance,
    },
  };
}
