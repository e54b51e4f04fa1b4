import { setTimeout as sleep } from 'node:timers/promises';
import { RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queue, ReceivedMessage } from '../ports.js';

/**
 * What to do with a handled message, as its handler says:
 * - `delete`: handled for good.
 * - `keep`: leave it as it is; it comes back when its visibility runs out (and past the queue's
 *   maxReceiveCount goes to the dead-letter queue).
 * - `retry`: make it visible again in `delaySeconds`.
 * - `release`: make it visible again now (the work was stopped, not failed).
 */
export type Ack = { action: 'delete' } | { action: 'keep' } | { action: 'retry'; delaySeconds: number } | { action: 'release' };

/** An ack plus the handler's own name for what happened, counted in the report. */
export interface Verdict<Label extends string> { ack: Ack; label?: Label }

export interface ConsumeOptions<Label extends string> {
  queue: Queue;
  log: Logger;
  /** Handles one message; `signal` aborts when the consumer stops (a stop signal or the budget). Should not throw. */
  handle(message: ReceivedMessage, signal: AbortSignal): Promise<Verdict<Label>>;
  /** Messages handled at once. Default 1. */
  concurrency?: number;
  /** Stop receiving after this many messages. Default: no limit. */
  maxMessages?: number;
  /**
   * A hard budget: past it nothing more is received; running work gets `budgetGraceMs` to finish, then
   * is stopped and released as on a stop signal. Default: none.
   */
  maxSeconds?: number;
  /** Default 10000. */
  budgetGraceMs?: number;
  /** Each running message's visibility is set to this on receive and extended to it by the heartbeat. */
  visibilityTimeoutS: number;
  /** Heartbeat period. Default: a third of the visibility timeout. */
  heartbeatMs?: number;
  /** Long-poll wait per receive. Default 20 (the SQS maximum). */
  waitSeconds?: number;
  /** On a stop, how long running work gets to finish releasing. Default 8000 (exit within 10 s). */
  stopGraceMs?: number;
  /** Pause after a failed receive (grows with each failure in a row). */
  pollIntervalMs: number;
  signal?: AbortSignal;
}

/** How long running handlers get after a stop before their messages are handed back regardless. */
export const STOP_GRACE_MS = 8_000;

export type EndReason = 'empty' | 'max-messages' | 'budget' | 'stopped' | 'receive-failed';

export interface ConsumeReport<Label extends string> {
  reason: EndReason;
  received: number;
  counts: Partial<Record<Label, number>>;
  /** Made visible again for a later try: retried, released, or received while stopping. */
  leftForRetry: number;
  /** Still running when the grace period ended: released anyway (the row fence keeps a late commit honest). */
  abandoned: number;
  receiveError?: RunnerError;
}

/**
 * Receives and handles until two long polls in a row come back empty, a budget is spent, or a stop;
 * acts on each handler's verdict. It knows nothing of what a message means.
 */
export async function consume<Label extends string>(options: ConsumeOptions<Label>): Promise<ConsumeReport<Label>> {
  const { queue, log, concurrency = 1, maxMessages = Infinity, waitSeconds = 20, stopGraceMs = STOP_GRACE_MS } = options;
  const report: ConsumeReport<Label> = { reason: 'empty', received: 0, counts: {}, leftForRetry: 0, abandoned: 0 };
  const stop = new AbortController();
  const onStop = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onStop();
  options.signal?.addEventListener('abort', onStop, { once: true });
  const deadline = options.maxSeconds ? Date.now() + options.maxSeconds * 1000 : Infinity;
  let budgetSpent = false;
  const budget = options.maxSeconds
    ? setTimeout(() => { budgetSpent = true; stop.abort(new RunnerError('TRANSIENT', `--max-seconds ${options.maxSeconds} spent`)); }, options.maxSeconds * 1000 + (options.budgetGraceMs ?? 10_000))
    : undefined;
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  const running = new Map<string, { done: Promise<void>; heartbeat: NodeJS.Timeout }>();
  const release = (handle: string) => queue.changeVisibility(handle, 0).catch(() => undefined);
  let emptyPolls = 0;
  let receiveFailures = 0;

  const settle = async (message: ReceivedMessage, verdict: Verdict<Label>, messageLog: Logger) => {
    if (verdict.label) report.counts[verdict.label] = (report.counts[verdict.label] ?? 0) + 1;
    const { ack } = verdict;
    if (ack.action === 'delete') {
      await queue.delete(message.receiptHandle).catch((err: unknown) => {
        messageLog.error({ err: (err as Error).message }, 'handled, but the message could not be deleted: its redelivery will be handled again');
      });
    } else if (ack.action === 'retry' || ack.action === 'release') {
      report.leftForRetry += 1;
      await queue.changeVisibility(message.receiptHandle, ack.action === 'retry' ? ack.delaySeconds : 0).catch(() => undefined);
    }
  };

  const start = (message: ReceivedMessage) => {
    const messageLog = log.child({ messageId: message.id, receiveCount: message.receiveCount });
    const heartbeat = setInterval(() => {
      queue.changeVisibility(message.receiptHandle, options.visibilityTimeoutS).catch((err: unknown) => {
        messageLog.warn({ err: (err as Error).message }, 'visibility heartbeat failed');
      });
    }, options.heartbeatMs ?? (options.visibilityTimeoutS * 1000) / 3);
    const done = options.handle(message, stop.signal)
      .catch((err: unknown): Verdict<Label> => {
        messageLog.error({ err: toRunnerError(err).message }, 'the handler failed: message released');
        return { ack: { action: 'release' } };
      })
      .then(async (verdict) => {
        clearInterval(heartbeat);
        // Abandoned at the end of the grace period: already released there.
        if (running.has(message.receiptHandle)) await settle(message, verdict, messageLog);
      })
      .finally(() => running.delete(message.receiptHandle));
    running.set(message.receiptHandle, { done, heartbeat });
  };

  while (!stop.signal.aborted) {
    if (emptyPolls >= 2) { report.reason = 'empty'; break; }
    if (report.received >= maxMessages) { report.reason = 'max-messages'; break; }
    if (deadline - Date.now() < 1000) { report.reason = 'budget'; break; }
    const free = concurrency - running.size;
    if (free <= 0) {
      await Promise.race([...[...running.values()].map((r) => r.done), stopped]);
      continue;
    }
    let messages: ReceivedMessage[];
    try {
      const wait = Math.min(waitSeconds, Math.floor((deadline - Date.now()) / 1000));
      // Not given the stop signal: a receive abandoned on the client would still hide what it took on
      // the server. A stop waits for it (at most its long poll) and hands its messages straight back.
      messages = await queue.receive({ max: Math.min(free, maxMessages - report.received), waitSeconds: wait, visibilitySeconds: options.visibilityTimeoutS });
      receiveFailures = 0;
    } catch (err) {
      if (stop.signal.aborted) break;
      report.receiveError = toRunnerError(err);
      log.warn({ code: report.receiveError.code, failures: ++receiveFailures }, `receive failed: ${report.receiveError.message}`);
      if (receiveFailures >= 3) { report.reason = 'receive-failed'; break; }
      await sleep(options.pollIntervalMs * receiveFailures, undefined, { signal: stop.signal }).catch(() => undefined);
      continue;
    }
    if (stop.signal.aborted) {
      report.received += messages.length;
      report.leftForRetry += messages.length;
      await Promise.all(messages.map((message) => release(message.receiptHandle)));
      break;
    }
    emptyPolls = messages.length ? 0 : emptyPolls + 1;
    for (const message of messages) {
      report.received += 1;
      start(message);
    }
  }

  const allDone = () => Promise.all([...running.values()].map((r) => r.done));
  await Promise.race([allDone(), stopped]);
  if (stop.signal.aborted) {
    // Running work sees the abort, releases itself and answers `release`; what has not by the end of
    // the grace period is released here.
    report.reason = budgetSpent ? 'budget' : 'stopped';
    await Promise.race([allDone(), sleep(stopGraceMs, undefined, { ref: false })]);
    const left = [...running.entries()];
    running.clear();
    for (const [, { heartbeat }] of left) clearInterval(heartbeat);
    await Promise.all(left.map(([handle]) => release(handle)));
    report.leftForRetry += left.length;
    report.abandoned = left.length;
  }
  clearTimeout(budget);
  options.signal?.removeEventListener('abort', onStop);
  return report;
}
