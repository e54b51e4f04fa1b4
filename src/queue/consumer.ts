import { setTimeout as sleep } from 'node:timers/promises';
import { RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { processMessageBody } from '../submissions/message.js';
import type { SubmissionDeps, SubmissionOutcome } from '../submissions/run.js';
import type { Queue, ReceivedMessage } from '../ports.js';

export interface DrainOptions {
  queue: Queue;
  deps: SubmissionDeps;
  /** Submissions graded at once. Default 1. */
  concurrency?: number;
  /** Stop receiving after this many messages. Default: no limit. */
  maxMessages?: number;
  /** Stop receiving after this many seconds (running submissions finish). Default: no limit. */
  maxSeconds?: number;
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
  /** Already final: deleted without grading. */
  skipped: number;
  /** Not handled: malformed body, missing row, transient or unexpected fault. */
  failed: number;
  /** Of those, the ones left in the queue because a redelivery may succeed. */
  leftForRetry: number;
}

/** Receives and grades until two long polls in a row come back empty, a budget is spent, or a stop. */
export async function drainQueue(options: DrainOptions): Promise<DrainSummary> {
  const { queue, concurrency = 1, maxMessages = Infinity, waitSeconds = 20, stopGraceMs = 8_000 } = options;
  const signal = options.signal ?? options.deps.signal;
  const deps: SubmissionDeps = signal ? { ...options.deps, signal } : options.deps;
  const log = deps.log;
  const deadline = options.maxSeconds ? Date.now() + options.maxSeconds * 1000 : Infinity;
  const summary: DrainSummary = { received: 0, graded: 0, skipped: 0, failed: 0, leftForRetry: 0 };
  const heartbeats = new Map<string, NodeJS.Timeout>();
  const handleMessage = createMessageHandler(options, deps, summary, heartbeats);
  const running = new Map<string, Promise<void>>();
  const stopped = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
  let emptyPolls = 0;
  let receiveFailures = 0;
  let lastReceiveError: RunnerError | undefined;

  while (!signal?.aborted && emptyPolls < 2 && summary.received < maxMessages && deadline - Date.now() >= 1000) {
    const free = concurrency - running.size;
    if (free <= 0) {
      await Promise.race([...running.values(), stopped]);
      continue;
    }
    let messages: ReceivedMessage[];
    try {
      const wait = Math.min(waitSeconds, Math.floor((deadline - Date.now()) / 1000));
      // The queue's own visibility may be shorter than the first heartbeat: set it on receive.
      const visibilitySeconds = options.visibilityTimeoutS ?? deps.config.visibilityTimeoutS;
      messages = await queue.receive({ max: Math.min(free, maxMessages - summary.received), waitSeconds: wait, visibilitySeconds, ...(signal && { signal }) });
      receiveFailures = 0;
    } catch (err) {
      if (signal?.aborted) break;
      lastReceiveError = toRunnerError(err);
      log.warn({ code: lastReceiveError.code, failures: ++receiveFailures }, `receive failed: ${lastReceiveError.message}`);
      if (receiveFailures >= 3) break;
      await sleep(deps.config.pollIntervalMs * receiveFailures, undefined, { ...(signal && { signal }) }).catch(() => undefined);
      continue;
    }
    emptyPolls = messages.length ? 0 : emptyPolls + 1;
    for (const message of messages) {
      summary.received += 1;
      running.set(message.receiptHandle, handleMessage(message).finally(() => running.delete(message.receiptHandle)));
    }
  }

  if (signal?.aborted) {
    await Promise.race([Promise.all(running.values()), sleep(stopGraceMs, undefined, { ref: false })]);
    // Whatever has not released by now goes back to the queue anyway; the row fence keeps a late commit honest.
    for (const heartbeat of heartbeats.values()) clearInterval(heartbeat);
    await Promise.all([...running.keys()].map((handle) => queue.changeVisibility(handle, 0).catch(() => undefined)));
    summary.leftForRetry += running.size;
    log.warn({ ...summary, stillRunning: running.size }, 'drain stopped');
    throw new RunnerError('STOPPED', 'stopped: running submissions were released and their messages returned to the queue', { details: { summary } });
  }
  await Promise.all(running.values());
  if (signal?.aborted) {
    // stopped while the last submissions finished: they released their rows and returned their messages
    log.warn({ ...summary }, 'drain stopped');
    throw new RunnerError('STOPPED', 'stopped: running submissions were released and their messages returned to the queue', { details: { summary } });
  }
  log.info({ ...summary }, 'drain finished');
  if (receiveFailures >= 3) {
    throw new RunnerError('TRANSIENT', `the queue could not be read: ${lastReceiveError?.message}`, { cause: lastReceiveError, details: { summary } });
  }
  return summary;
}

/** Seconds a message waits before its next delivery after a retryable failure: 30 s, doubling, at most 15 min. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(900, 30 * 2 ** Math.max(0, receiveCount - 1));
}

function createMessageHandler(options: DrainOptions, deps: SubmissionDeps, summary: DrainSummary, heartbeats: Map<string, NodeJS.Timeout>) {
  const { queue, work = processMessageBody } = options;
  const visibilityTimeoutS = options.visibilityTimeoutS ?? deps.config.visibilityTimeoutS;
  const heartbeatMs = options.heartbeatMs ?? (visibilityTimeoutS * 1000) / 3;

  return async (message: ReceivedMessage): Promise<void> => {
    const log = deps.log.child({ messageId: message.id, receiveCount: message.receiveCount });
    const heartbeat = setInterval(() => {
      queue.changeVisibility(message.receiptHandle, visibilityTimeoutS).catch((err: unknown) => {
        log.warn({ err: (err as Error).message }, 'visibility heartbeat failed');
      });
    }, heartbeatMs);
    heartbeats.set(message.receiptHandle, heartbeat);
    let outcome: SubmissionOutcome;
    try {
      outcome = await work(message.body, { ...deps, log });
    } catch (err) {
      await leave(message, toRunnerError(err), log);
      return;
    } finally {
      clearInterval(heartbeat);
      heartbeats.delete(message.receiptHandle);
    }
    if (outcome.kind === 'missing') {
      await leave(message, new RunnerError('SUBMISSION_NOT_FOUND', 'no such submission row (yet)'), log);
      return;
    }
    if (outcome.kind === 'graded' && !outcome.published) {
      // A newer attempt owns the row and has not committed yet; if it fails, this message is all that
      // brings the submission back. Its redelivery finds the row final (deleted then) or grades it.
      summary.skipped += 1;
      log.warn({ attempt: outcome.attempt }, 'a newer attempt owns the row: message kept until that attempt commits');
      return;
    }
    summary[outcome.kind === 'graded' ? 'graded' : 'skipped'] += 1;
    await queue.delete(message.receiptHandle).catch((err: unknown) => {
      log.error({ err: (err as Error).message }, 'handled, but the message could not be deleted: its redelivery will be skipped as final');
    });
  };

  async function leave(message: ReceivedMessage, error: RunnerError, log: Logger): Promise<void> {
    if (error.code === 'STOPPED' || deps.signal?.aborted) {
      summary.leftForRetry += 1;
      await queue.changeVisibility(message.receiptHandle, 0).catch(() => undefined);
      log.warn({ code: error.code }, 'stopped: message returned to the queue');
      return;
    }
    summary.failed += 1;
    if (error.code === 'INVALID_MESSAGE') {
      log.error({ code: error.code, ...error.details }, `malformed message left for the dead-letter queue: ${error.message}`);
      return;
    }
    summary.leftForRetry += 1;
    const delay = retryDelaySeconds(message.receiveCount);
    log.warn({ code: error.code, retryInSeconds: delay }, `left for redelivery: ${error.message}`);
    await queue.changeVisibility(message.receiptHandle, delay).catch(() => undefined);
  }
}
