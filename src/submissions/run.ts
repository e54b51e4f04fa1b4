import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { faultOf, RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { withRetry } from '../retry.js';
import { errorResult, faultOutcome, gradeSubmission, gradingTimeMs, timeLimitMs, type Graded } from '../grading/pipeline.js';
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
  /**
   * After a stop or the deadline, how long the work may take to wind down (kill tests, clean up) before
   * it is abandoned and its row released. Default: windDownWithin(config.stopGraceMs); a drain derives
   * it from the stop grace it was given.
   */
  windDownMs?: number;
}

export type SubmissionOutcome =
  /** `current: false`: an ERROR recorded beside the grade the submission keeps. */
  | { kind: 'graded'; attempt: number; result: GradeResult; published: boolean; current: boolean }
  | { kind: 'skipped'; reason: 'final' }
  /**
   * Another runner is grading it under a live lease, or took this attempt's claim over while it ran:
   * keep the message for later (not an error).
   */
  | { kind: 'busy' }
  | { kind: 'missing' };

/**
 * A submission stopped with `stopGraceMs` left gets three quarters of it to wind down (kill its tests,
 * clean up, release its row), so its row is released before a queue consumer hands its message back.
 */
export function windDownWithin(stopGraceMs: number): number {
  return Math.floor(stopGraceMs * 0.75);
}

/**
 * claim → fetch → grade → publish for one stored submission. The student's faults end as a DONE or
 * ERROR row. A transient fault (after retries), a stop or the submission's deadline (its PIT's time
 * limit for each of its runs + RUNNER_SUBMISSION_GRACE_MS) releases the row to PENDING and is thrown (TRANSIENT, or
 * STOPPED), so the queue message stays for redelivery. While the work runs, the row's lease is renewed
 * every third of RUNNER_LEASE_S, so a duplicate delivery meanwhile ends `busy` instead of grading it
 * again. When the renewal, or the fence before the upload, shows that a newer attempt took the claim
 * over, this attempt stops its tests, uploads nothing and ends `busy`. `published: false` means a newer
 * attempt took the row between the upload and the fenced publish: its own log key was written, no other.
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

  const claimed = holdClaim(() => store.heartbeat(submissionId, attempt), config.leaseSeconds, log);
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    // an unknown or invalid PIT fails after the fetch, as before (a missing ZIP is still the student's ERROR)
    const pit = await loadPit(config.pitsDir, submission.pitId).catch((err: unknown) => toRunnerError(err));
    const deadlineMs = gradingTimeMs(pit instanceof RunnerError ? undefined : pit, config) + config.submissionGraceMs;
    timer = setTimeout(() => deadline.abort(pastDeadline(deadlineMs)), deadlineMs);
    const signal = AbortSignal.any([deadline.signal, claimed.lost, ...(deps.signal ? [deps.signal] : [])]);
    const work = gradeAndPublish(submission, attempt, pit, claimed, { ...deps, log, signal });
    return await windDown(work, signal, deps.windDownMs ?? windDownWithin(config.stopGraceMs));
  } catch (err) {
    if (claimed.lost.aborted) {
      // the row is the newer attempt's: nothing of it is this attempt's to release
      log.warn({ step: 'claim' }, 'the claim was taken over: tests stopped, nothing uploaded or published');
      return { kind: 'busy' };
    }
    // the sandbox reports any abort as a stop: past the deadline it is the deadline's transient fault
    const error = deadline.signal.aborted && !deps.signal?.aborted ? (deadline.signal.reason as RunnerError) : toRunnerError(err);
    const released = await store.release(submissionId, attempt, releaseTo).catch(() => false);
    log.warn({ code: error.code, released }, `not graded: ${error.message}`);
    throw error;
  } finally {
    clearTimeout(timer);
    claimed.stop();
  }
}

const skipMessages = { final: 'already final: skipped', busy: 'being graded under a live lease: left for later', missing: 'no such submission' } as const;

async function gradeAndPublish(submission: SubmissionRecord, attempt: number, pit: PitConfig | RunnerError, claim: Claim, deps: SubmissionDeps): Promise<SubmissionOutcome> {
  const { store, storage, log } = deps;
  const graded = await fetchAndGrade(submission, pit, deps);
  // the fence before anything leaves this attempt: a claim taken over meanwhile uploads nothing
  await withRetry('fence', () => claim.check(), log);
  claim.lost.throwIfAborted();
  const logsKey = await withRetry('upload log', () => storage.putLog(submission.id, attempt, graded.log, deps.signal), log);
  const student = studentFeedback(graded.result);
  const written = await withRetry('publish', () => store.publish(submission.id, attempt, graded.result, logsKey, student), log);
  const fields = { step: 'publish', status: graded.result.status, outcome: graded.result.outcome, score: graded.result.score, logsKey };
  if (written === 'beside') log.warn(fields, 'not graded: recorded beside the earlier grade, which stays current');
  else if (written) log.info(fields, 'published');
  else log.warn(fields, 'a newer attempt owns this submission: result not written');
  return { kind: 'graded', attempt, result: graded.result, published: written !== false, current: written === true };
}

function pastDeadline(deadlineMs: number): RunnerError {
  return new RunnerError('TRANSIENT', `the submission was not graded within its deadline of ${Math.round(deadlineMs / 1000)} s (its PIT's time limit, once per run, + RUNNER_SUBMISSION_GRACE_MS): released for a later attempt`, { details: { deadlineMs } });
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

interface Claim {
  /** Aborts once a renewal finds that a newer attempt took the claim over. */
  readonly lost: AbortSignal;
  /** Renews the lease now; false (and `lost` aborted) when the claim is no longer this attempt's. */
  check(): Promise<boolean>;
  stop(): void;
}

/** Renews the claim's heartbeat every third of the lease until stopped; a failed renewal is logged, not fatal. */
function holdClaim(renew: () => Promise<boolean>, leaseSeconds: number, log: Logger): Claim {
  const lost = new AbortController();
  const check = async () => {
    const held = await renew();
    if (!held && !lost.signal.aborted) {
      log.warn({ step: 'heartbeat' }, 'the claim was taken over: stopping this attempt');
      lost.abort(new RunnerError('STOPPED', 'the claim was taken over by a newer attempt'));
    }
    return held;
  };
  const interval = setInterval(() => {
    check().catch((err: Error) => log.warn({ step: 'heartbeat', err: err.message }, 'heartbeat failed: the lease may run out'));
  }, (leaseSeconds * 1000) / 3);
  interval.unref();
  return { lost: lost.signal, check, stop: () => clearInterval(interval) };
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
      const error = toRunnerError(err);
      const outcome = faultOf(error) === 'student' ? faultOutcome(error, deps.log) : undefined;
      if (!outcome) throw error;
      return await notGraded(pitId, outcome, error, pit, deps);
    }
    const fetchMs = Math.round(performance.now() - started);
    deps.log.info({ step: 'fetch', ms: fetchMs }, 'fetch done');
    if (pit instanceof RunnerError) {
      // the same end as the PIT's fault found mid-run: the fault table's outcome, an operator alert
      const outcome = faultOf(pit) === 'exercise' ? faultOutcome(pit, deps.log) : undefined;
      if (!outcome) throw pit;
      return await notGraded(pitId, outcome, pit, pit, deps);
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
