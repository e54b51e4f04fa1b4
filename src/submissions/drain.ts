import { policyOf, RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queue, ReceivedMessage } from '../ports.js';
import { consume, type ConsumeReport, type ConsumerSettings, type EndReason, type Verdict } from '../queue/consumer.js';
import { processMessageBody } from './message.js';
import { windDownWithin, type SubmissionDeps, type SubmissionOutcome } from './run.js';

/**
 * The queue, what grading needs, and the consumer's own settings as `consume` declares them;
 * `visibilityTimeoutS`, `pollIntervalMs` and `stopGraceMs` default to the config's, `signal` to deps.signal.
 */
export interface DrainOptions extends Partial<ConsumerSettings> {
  queue: Queue;
  deps: SubmissionDeps;
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
  const { ack } = policyOf(error);
  if (ack === 'release' || stopping) {
    log.warn({ code: error.code }, 'stopped: message returned to the queue');
    return { ack: { action: 'release' } };
  }
  if (ack === 'keep') {
    log.error({ code: error.code, ...error.details }, `malformed message left for the dead-letter queue: ${error.message}`);
    return { ack: { action: 'keep' }, label: 'failed' };
  }
  const delaySeconds = retryDelaySeconds(message.receiveCount);
  log.warn({ code: error.code, retryInSeconds: delaySeconds }, `left for redelivery: ${error.message}`);
  return { ack: { action: 'retry', delaySeconds }, label: 'failed' };
}

/** Receives submission messages and grades them; never throws for a stop or an unreadable queue: `error` says. */
export async function drainSubmissions(options: DrainOptions): Promise<Drained> {
  const { queue, deps, work = processMessageBody, ...given } = options;
  const settings: ConsumerSettings = {
    visibilityTimeoutS: deps.config.visibilityTimeoutS,
    pollIntervalMs: deps.config.pollIntervalMs,
    stopGraceMs: deps.config.stopGraceMs,
    ...(deps.signal && { signal: deps.signal }),
    ...definedOnly(given),
  };
  const windDownMs = windDownWithin(settings.stopGraceMs);
  const report = await consume<Label>({
    ...settings,
    queue,
    log: deps.log,
    handle: async (message, signal) => {
      const log = deps.log.child({ messageId: message.id, receiveCount: message.receiveCount });
      try {
        return verdictForOutcome(await work(message.body, { ...deps, log, signal, windDownMs }), message, log);
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

/** The settings a caller gave, without the ones it left undefined (those keep their defaults). */
function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
