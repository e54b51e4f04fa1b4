import type { Config } from '../config.js';
import { usageError } from '../errors.js';
import { pitIdProblem } from '../ids.js';

/** Checks shared by several commands' yargs `.check()`: each throws the message yargs prints (exit 2). */

export function checkPositiveInteger(flag: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new Error(`${flag}: must be a positive whole number (got ${value})`);
}

/** One sandbox uid per submission graded at once: checked once the config (its pool size) is known. */
export function checkConcurrencyFits(value: number | undefined, config: Config): void {
  const { poolSize } = config.sandbox;
  if (value !== undefined && value > poolSize) throw usageError(`--concurrency: at most ${poolSize} (one sandbox uid each; RUNNER_SANDBOX_POOL_SIZE)`);
}

export function checkPitId(flag: string, value: string | undefined): void {
  const problem = value === undefined ? undefined : pitIdProblem(value);
  if (problem) throw new Error(`${flag}: ${problem}`);
}

/** "a, b,,c" → ['a', 'b', 'c']; also flattens repeated flags (`--x a --x b,c`). */
export function commaList(values: string | Array<string | number> | undefined): string[] {
  return [values ?? []].flat().flatMap((value) => String(value).split(',')).map((item) => item.trim()).filter(Boolean);
}

/** An ISO 8601 date or date-time, or a usage error naming the flag. */
export function parseDateFlag(flag: string, text: string): Date {
  const value = new Date(text);
  if (Number.isNaN(value.getTime())) throw usageError(`${flag}: "${text}" is not a date (e.g. 2025-03-01 or 2025-03-01T12:00:00Z)`);
  return value;
}
