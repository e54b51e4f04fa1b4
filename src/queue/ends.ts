import { RunnerError } from '../errors.js';

/** After the stop's grace, how long the last queue calls (releasing what is left) get before they are abandoned. */
export const FINAL_CALLS_MS = 2_000;

/** The ways a consumer's run ends, as signals and promises, each fired once. */
export interface Ends {
  /** A stop signal, or the budget's grace spent: handlers wind down, nothing more is received. */
  readonly stopping: AbortSignal;
  readonly stopped: Promise<void>;
  /** `maxSeconds` after the start: nothing more is received. */
  readonly budgetEnd: AbortSignal;
  readonly budgetSpent: Promise<void>;
  /** Aborts on `stopping` or `budgetEnd`: a pause between receives ends with it. */
  readonly receiving: AbortSignal;
  /** An open receive is abandoned at the budget's end, or `stopGraceMs` after `stopping`. */
  readonly receiveCutoff: AbortSignal;
  /** `stopGraceMs` after `stopping`: running work is abandoned and its messages released. */
  readonly graceOver: Promise<void>;
  /** FINAL_CALLS_MS after the grace: every queue call still open is abandoned. */
  readonly lastCall: AbortSignal;
  budgetLeftMs(): number;
  /** `stopped` for a stop signal, `budget` for the budget, undefined while neither came: the first one wins. */
  cause(): 'stopped' | 'budget' | undefined;
  dispose(): void;
}

export interface EndsOptions {
  signal?: AbortSignal;
  maxSeconds?: number;
  budgetGraceMs: number;
  stopGraceMs: number;
}

export function watchEnds(options: EndsOptions): Ends {
  const stopping = new AbortController();
  const budgetEnd = new AbortController();
  const graceOver = new AbortController();
  const lastCall = new AbortController();
  const started = Date.now();
  const budgetTimers: NodeJS.Timeout[] = [];
  const stopTimers: NodeJS.Timeout[] = [];
  let cause: 'stopped' | 'budget' | undefined;

  const stop = (why: 'stopped' | 'budget', reason: unknown) => {
    if (stopping.signal.aborted) return;
    cause = why;
    // the budget can no longer relabel a stop, nor shorten its grace
    for (const timer of budgetTimers) clearTimeout(timer);
    stopping.abort(reason);
    stopTimers.push(
      setTimeout(() => graceOver.abort(reason), options.stopGraceMs),
      setTimeout(() => lastCall.abort(reason), options.stopGraceMs + FINAL_CALLS_MS),
    );
  };
  const onSignal = () => stop('stopped', options.signal?.reason);
  if (options.signal?.aborted) onSignal();
  else options.signal?.addEventListener('abort', onSignal, { once: true });
  if (options.maxSeconds) {
    const spent = new RunnerError('TRANSIENT', `--max-seconds ${options.maxSeconds} spent`);
    budgetTimers.push(
      setTimeout(() => budgetEnd.abort(spent), options.maxSeconds * 1000),
      setTimeout(() => stop('budget', spent), options.maxSeconds * 1000 + options.budgetGraceMs),
    );
  }

  return {
    stopping: stopping.signal,
    stopped: aborted(stopping.signal),
    budgetEnd: budgetEnd.signal,
    budgetSpent: aborted(budgetEnd.signal),
    receiving: AbortSignal.any([stopping.signal, budgetEnd.signal]),
    receiveCutoff: AbortSignal.any([budgetEnd.signal, graceOver.signal]),
    graceOver: aborted(graceOver.signal),
    lastCall: lastCall.signal,
    budgetLeftMs: () => (options.maxSeconds ? started + options.maxSeconds * 1000 - Date.now() : Infinity),
    cause: () => cause,
    dispose() {
      for (const timer of [...budgetTimers, ...stopTimers]) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onSignal);
    },
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
