import { usageError } from '../errors.js';

const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "2h", "1h30m"; a bare number is seconds. Throws a USAGE error naming the flag. */
export function parseDuration(text: string, flag: string): number {
  const value = String(text).trim();
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== value) {
    throw usageError(`${flag}: "${text}" is not a duration (examples: 90s, 30m, 2h, 1h30m)`);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * unitMs[unit!]!, 0);
}
