/** What the benchmarks share: timing a whole process, medians, interleaved pairs, and how figures print. */
import { spawn } from 'node:child_process';

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export interface Spawned { ms: number; code: number | null; stdout: string; stderr: string }

/** Runs a command to its exit; `ms` is wall time from just before the spawn to the exit. */
export function timeProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, stdout, stderr }));
  });
}

/** A and B in turn, `runs` times each (A B A B …), after one unmeasured warm-up of each: pairing keeps the
 *  ratio meaningful when the machine's speed drifts. Returns the medians and the median of the pairs' A/B. */
export async function interleaved(runs: number, a: () => Promise<number>, b: () => Promise<number>) {
  await a();
  await b();
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < runs; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return { a: median(as), b: median(bs), ratio: median(as.map((value, i) => value / bs[i]!)), diff: median(as.map((value, i) => value - bs[i]!)) };
}

/** "✓" or "✗" against a target, so a reader sees at once what is met. */
export const verdict = (met: boolean) => (met ? '✓' : '✗');
