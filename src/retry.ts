import pRetry from 'p-retry';
import { isTransient } from './errors.js';
import type { Logger } from './log.js';

/**
 * Retries `fn` on transient faults only (network, throttling, Postgres connection errors), with
 * exponential backoff; anything else fails at once. The AWS SDK retries its own calls; this is for
 * the database and for steps that span several calls.
 */
export function withRetry<T>(what: string, fn: () => Promise<T>, log: Logger, retries = 3): Promise<T> {
  return pRetry(fn, {
    retries,
    minTimeout: 200,
    maxTimeout: 2_000,
    shouldRetry: (err) => isTransient(err),
    onFailedAttempt: (err) => {
      if (isTransient(err) && err.retriesLeft > 0) log.warn({ what, attempt: err.attemptNumber, retriesLeft: err.retriesLeft, err: err.message }, `${what}: transient failure, retrying`);
    },
  });
}
