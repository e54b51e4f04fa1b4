import { faultOf, RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queue, ReceivedMessage } from '../ports.js';
import { consume, type ConsumeReport, type EndReason, type Verdict } from '../queue/consumer.js';
import { processMessageBody } from './message.js';
import type { SubmissionDeps, SubmissionOutcome } from './run.js';

export interface DrainOptions {
  queue: Queue;
  deps: SubmissionDeps;
  /** Submissions graded at once. Default 1. */
  concurrency?: number;
  /** Stop receiving after this many messages. Default: no limit. */
  maxMessages?: number;
  /** Hard budget for the whole drain (see `consume`). Default: no limit. */
  maxSeconds?: number;
  /** After the budget, how long running submissions may still finish. Default 10000. */
  budgetGraceMs?: number;
  /** The heartbeat extends each running message's visibility to this. Default: config.visibilityTimeoutS. */
  visibilityTimeoutS?: number;
  /** Heartbeat period. Default: a third of the visibility timeout. */
  heartbeatMs?: number;
  /** Long-poll wait per receive. Default 20 (the SQS maximum). */
  waitSeconds?: number;
  /** On a stop, how long running submissions get to release their rows. Default 8000 (exit within 10 s). */
  stopGraceMs?: number;
  /** Default: deps.signal. */
  signal?: AbortSignal;
  /** Grades one body. Default: processMessageBody. */
  work?: (body: string, deps: SubmissionDeps) => Promise<SubmissionOutcome>;
}

export interface DrainSummary {
  received: number;
  graded: number;
  /** Already final: deleted without grading; or fenced out by a newer attempt: kept until it commits. */
  skipped: number;
  /** Not handled: malformed body, missing row, transient or unexpected fault. */
  failed: number;
  /** Messages made visible again for a later try (retries, and work released by a stop). */
  leftForRetry: number;
}

type Label = 'graded' | 'skipped' | 'failed';

export interface Drained { summary: DrainSummary; reason: EndReason; error?: RunnerError }

/** Seconds a message waits before its next delivery after a retryable failure: 30 s, doubling, at most 15 min. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(900, 30 * 2 ** Math.max(0, receiveCount - 1));
}

/** What the queue should do with a message whose submission ended this way. */
export function verdictForOutcome(outcome: SubmissionOutcome, message: ReceivedMessage, log: Logger): Verdict<Label> {
  if (outcome.kind === 'missing') {
    return verdictForFailure(new RunnerError('SUBMISSION_NOT_FOUND', 'no such submission row (yet)'), message, log);
  }
  if (outcome.kind === 'busy') {
    // Another runner grades it under a live lease. Deleting this copy would lose the submission if that
    // runner failed; kept, it comes back after its visibility timeout and finds the row final (or free).
    log.info('being graded by another runner: message kept until that run ends');
    return { ack: { action: 'keep' }, label: 'skipped' };
  }
  if (outcome.kind === 'graded' && !outcome.published) {
    // A newer attempt owns the row and has not committed yet; if it fails, this message is all that
    // brings the submission back. Its redelivery finds the row final (deleted then) or grades it.
    log.warn({ attempt: outcome.attempt }, 'a newer attempt owns the row: message kept until that attempt commits');
    return { ack: { action: 'keep' }, label: 'skipped' };
  }
  return { ack: { action: 'delete' }, label: outcome.kind === 'graded' ? 'graded' : 'skipped' };
}

/** What the queue should do with a message whose handling failed, by the one fault policy. */
export function verdictForFailure(err: unknown, message: ReceivedMessage, log: Logger, stopping = false): Verdict<Label> {
  const error = toRunnerError(err);
  const fault = faultOf(error);
  if (fault === 'stop' || stopping) {
    log.warn({ code: error.code }, 'stopped: message returned to the queue');
    return { ack: { action: 'release' } };
  }
  if (fault === 'dead-letter') {
    log.error({ code: error.code, ...error.details }, `malformed message left for the dead-letter queue: ${error.message}`);
    return { ack: { action: 'keep' }, label: 'failed' };
  }
  const delaySeconds = retryDelaySeconds(message.receiveCount);
  log.warn({ code: error.code, retryInSeconds: delaySeconds }, `left for redelivery: ${error.message}`);
  return { ack: { action: 'retry', delaySeconds }, label: 'failed' };
}

/** Receives submission messages and grades them; never throws for a stop or an unreadable queue: `error` says. */
export async function drainSubmissions(options: DrainOptions): Promise<Drained> {
  const { deps, work = processMessageBody } = options;
  const report = await consume<Label>({
    queue: options.queue,
    log: deps.log,
    visibilityTimeoutS: options.visibilityTimeoutS ?? deps.config.visibilityTimeoutS,
    pollIntervalMs: deps.config.pollIntervalMs,
    ...pick(options, ['concurrency', 'maxMessages', 'maxSeconds', 'budgetGraceMs', 'heartbeatMs', 'waitSeconds', 'stopGraceMs']),
    ...((options.signal ?? deps.signal) && { signal: options.signal ?? deps.signal }),
    handle: async (message, signal) => {
      const log = deps.log.child({ messageId: message.id, receiveCount: message.receiveCount });
      try {
        return verdictForOutcome(await work(message.body, { ...deps, log, signal }), message, log);
      } catch (err) {
        return verdictForFailure(err, message, log, signal.aborted);
      }
    },
  });
  const summary = summaryOf(report);
  const error = endError(report, summary);
  deps.log[error ? 'warn' : 'info']({ ...summary, reason: report.reason, stillRunning: report.abandoned }, error ? 'drain stopped' : 'drain finished');
  return { summary, reason: report.reason, ...(error && { error }) };
}

/** `drainSubmissions` for callers that want the summary, or the error it ended with thrown. */
export async function drainQueue(options: DrainOptions): Promise<DrainSummary> {
  const { summary, error } = await drainSubmissions(options);
  if (error) throw error;
  return summary;
}

function summaryOf(report: ConsumeReport<Label>): DrainSummary {
  const { graded = 0, skipped = 0, failed = 0 } = report.counts;
  return { received: report.received, graded, skipped, failed, leftForRetry: report.leftForRetry };
}

function endError(report: ConsumeReport<Label>, summary: DrainSummary): RunnerError | undefined {
  const details = { summary };
  if (report.reason === 'stopped') {
    return new RunnerError('STOPPED', 'stopped: running submissions were released and their messages returned to the queue', { details });
  }
  if (report.reason === 'receive-failed') {
    return new RunnerError('TRANSIENT', `the queue could not be read: ${report.receiveError?.message}`, { cause: report.receiveError, details });
  }
  if (report.reason === 'budget' && summary.leftForRetry > 0) {
    return new RunnerError('TRANSIENT', '--max-seconds spent: running submissions were released and their messages returned to the queue', { details });
  }
  return undefined;
}

function pick<T extends object, K extends keyof T>(object: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => object[key] !== undefined).map((key) => [key, object[key]])) as Partial<Pick<T, K>>;
}
