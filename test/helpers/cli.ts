import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `pit-runner …` from the checkout as a real process; never throws on a non-zero exit. */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}) {
  return execa('node', ['bin/pit-runner.js', ...args], {
    cwd: repoRoot,
    reject: false,
    env: { LOG_LEVEL: 'warn', ...options.env },
    timeout: options.timeoutMs ?? 120_000,
  });
}
