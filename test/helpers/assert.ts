import * as assert from 'uvu/assert';
import { RunnerError } from '../../src/errors.js';

/** Awaits a promise that must reject with a RunnerError, and returns that error for further checks. */
export async function rejection(promise: Promise<unknown>): Promise<RunnerError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, RunnerError);
    return err as RunnerError;
  }
  throw new Error('expected a rejection');
}
