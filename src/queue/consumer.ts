import { setTimeout as sleep } from 'node:timers/promises';
import { RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queue, ReceivedMessage } from '../ports.js';
import { watchEnds, type Ends } from './ends.js';

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

/** How the consumer runs: everything but the queue, the log and the handler. */
export interface ConsumerSettings {
  /** Messages handled at once. Default 1. */
  concurrency?: number;
  /** Stop receiving after this many messages. Default: no limit. */
  maxMessages?: number;
  /**
   * A hard budget: at its end nothing more is received (an open receive is abandoned); running work gets
   * `budgetGraceMs` to finish, then is stopped and released as on a stop signal. Default: none.
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
  /**
   * On a stop, how long running work (and a receive already open) gets; then what is left is released,
   * with FINAL_CALLS_MS for those last queue calls.
   */
  stopGraceMs: number;
  /** Pause after a failed receive (grows with each failure in a row). */
  pollIntervalMs: number;
  signal?: AbortSignal;
}

export interface ConsumeOptions<Label extends string> extends ConsumerSettings {
  queue: Queue;
  log: Logger;
  /** Handles one message; `signal` aborts when the consumer stops (a stop signal or the budget). Should not throw. */
  handle(message: ReceivedMessage, signal: AbortSignal): Promise<Verdict<Label>>;
}

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

interface Run<Label extends string> {
  options: ConsumeOptions<Label>;
  ends: Ends;
  report: ConsumeReport<Label>;
  running: Map<string, { done: Promise<void>; heartbeat: NodeJS.Timeout }>;
}

/**
 * Receives and handles until two long polls in a row come back empty, a budget is spent, or a stop;
 * acts on each handler's verdict. It knows nothing of what a message means. Every queue call it makes
 * carries a signal that ends with the run, so no call of a queue that stopped answering holds it.
 */
export async function consume<Label extends string>(options: ConsumeOptions<Label>): Promise<ConsumeReport<Label>> {
  const ends = watchEnds({
    stopGraceMs: options.stopGraceMs,
    budgetGraceMs: options.budgetGraceMs ?? 10_000,
    ...(options.maxSeconds !== undefined && { maxSeconds: options.maxSeconds }),
    ...(options.signal && { signal: options.signal }),
  });
  const run: Run<Label> = { options, ends, running: new Map(), report: { reason: 'empty', received: 0, counts: {}, leftForRetry: 0, abandoned: 0 } };
  try {
    run.report.reason = await receiveUntilDone(run);
    await finishRunning(run);
    // a stop is a stop: whatever the loop or the budget said before or after it
    run.report.reason = ends.cause() ?? run.report.reason;
    return run.report;
  } finally {
    ends.dispose();
  }
}

/** The receive loop: hands each message to `start` until a reason to stop receiving comes. */
async function receiveUntilDone<Label extends string>(run: Run<Label>): Promise<EndReason> {
  const { options, ends, report, running } = run;
  const { concurrency = 1, maxMessages = Infinity } = options;
  let emptyPolls = 0;
  let receiveFailures = 0;
  while (!ends.stopping.aborted) {
    if (emptyPolls >= 2) return 'empty';
    if (report.received >= maxMessages) return 'max-messages';
    if (ends.budgetEnd.aborted || ends.budgetLeftMs() < 1000) return 'budget';
    const free = concurrency - running.size;
    if (free <= 0) {
      await Promise.race([...[...running.values()].map((r) => r.done), ends.stopped, ends.budgetSpent]);
      continue;
    }
    const received = await receiveBatch(run, Math.min(free, maxMessages - report.received));
    if (received === 'cut off') break;
    if (received instanceof RunnerError) {
      report.receiveError = received;
      options.log.warn({ code: received.code, failures: ++receiveFailures }, `receive failed: ${received.message}`);
      if (receiveFailures >= 3) return 'receive-failed';
      await sleep(options.pollIntervalMs * receiveFailures, undefined, { signal: ends.receiving }).catch(() => undefined);
      continue;
    }
    receiveFailures = 0;
    if (ends.stopping.aborted) {
      // taken while stopping: straight back, so a stop never hides messages for the visibility timeout
      report.received += received.length;
      report.leftForRetry += received.length;
      await Promise.all(received.map((message) => release(run, message.receiptHandle)));
      break;
    }
    emptyPolls = received.length ? 0 : emptyPolls + 1;
    for (const message of received) {
      report.received += 1;
      start(run, message);
    }
  }
  return ends.budgetEnd.aborted ? 'budget' : 'stopped';
}

/**
 * One long poll, never past the budget's end. A stop does not cut it at once: a receive abandoned on
 * the client still hides what the server handed it, so it gets the stop's grace to come back with it
 * (released then); past that, or the budget, it is abandoned (`cut off`). A failure comes back as an error.
 */
async function receiveBatch<Label extends string>(run: Run<Label>, max: number): Promise<ReceivedMessage[] | RunnerError | 'cut off'> {
  const { options, ends } = run;
  const waitSeconds = Math.max(0, Math.min(options.waitSeconds ?? 20, Math.floor(ends.budgetLeftMs() / 1000)));
  try {
    return await options.queue.receive({ max, waitSeconds, visibilitySeconds: options.visibilityTimeoutS, signal: ends.receiveCutoff });
  } catch (err) {
    if (ends.receiveCutoff.aborted || ends.stopping.aborted) return 'cut off';
    return toRunnerError(err);
  }
}

/** Runs the handler for one message, with a visibility heartbeat, and acts on its verdict. */
function start<Label extends string>(run: Run<Label>, message: ReceivedMessage): void {
  const { options, ends, running } = run;
  const messageLog = options.log.child({ messageId: message.id, receiveCount: message.receiveCount });
  const heartbeat = setInterval(() => {
    options.queue.changeVisibility(message.receiptHandle, options.visibilityTimeoutS, ends.lastCall).catch((err: unknown) => {
      messageLog.warn({ err: (err as Error).message }, 'visibility heartbeat failed');
    });
  }, options.heartbeatMs ?? (options.visibilityTimeoutS * 1000) / 3);
  const done = options.handle(message, ends.stopping)
    .catch((err: unknown): Verdict<Label> => {
      messageLog.error({ err: toRunnerError(err).message }, 'the handler failed: message released');
      return { ack: { action: 'release' } };
    })
    .then(async (verdict) => {
      clearInterval(heartbeat);
      // Abandoned at the end of the grace period: already released there.
      if (running.has(message.receiptHandle)) await settle(run, message, verdict, messageLog);
    })
    .finally(() => running.delete(message.receiptHandle));
  running.set(message.receiptHandle, { done, heartbeat });
}

/** Counts the verdict and does what its ack says. */
async function settle<Label extends string>(run: Run<Label>, message: ReceivedMessage, verdict: Verdict<Label>, messageLog: Logger): Promise<void> {
  const { options: { queue }, ends, report } = run;
  if (verdict.label) report.counts[verdict.label] = (report.counts[verdict.label] ?? 0) + 1;
  const { ack } = verdict;
  if (ack.action === 'delete') {
    await queue.delete(message.receiptHandle, ends.lastCall).catch((err: unknown) => {
      messageLog.error({ err: (err as Error).message }, 'handled, but the message could not be deleted: its redelivery will be handled again');
    });
  } else if (ack.action === 'retry' || ack.action === 'release') {
    report.leftForRetry += 1;
    await queue.changeVisibility(message.receiptHandle, ack.action === 'retry' ? ack.delaySeconds : 0, ends.lastCall).catch(() => undefined);
  }
}

/**
 * Waits for running work. On a stop (or the budget's grace spent) the work sees the abort, releases
 * itself and answers `release`; what has not by the end of the grace is released here.
 */
async function finishRunning<Label extends string>(run: Run<Label>): Promise<void> {
  const { ends, report, running } = run;
  const allDone = () => Promise.all([...running.values()].map((r) => r.done));
  await Promise.race([allDone(), ends.stopped]);
  if (!ends.stopping.aborted) return;
  await Promise.race([allDone(), ends.graceOver]);
  const left = [...running.entries()];
  running.clear();
  for (const [, { heartbeat }] of left) clearInterval(heartbeat);
  await Promise.all(left.map(([handle]) => release(run, handle)));
  report.leftForRetry += left.length;
  report.abandoned = left.length;
}

function release<Label extends string>(run: Run<Label>, receiptHandle: string): Promise<void> {
  return run.options.queue.changeVisibility(receiptHandle, 0, run.ends.lastCall).catch(() => undefined);
}
