import type { Logger } from '../log.js';
import { removeLeftovers } from './leftovers.js';
import { createSandbox } from './sandbox.js';
import type { Sandbox, SandboxOptions } from './types.js';

/**
 * The sandbox's one door: nothing outside `src/sandbox/` imports anything of it but this file
 * (test/imports.test.ts checks it).
 */

export type { OutputSink, PrepareOptions, Sandbox, SandboxLimits, SandboxMode, SandboxOptions, SandboxResult, SandboxRun } from './types.js';
export { parseCommandLine, readCommandLine, type ShellOnly } from './command-line.js';
export { sandboxDirs, toolPath } from './env.js';

/**
 * The process's sandbox over `options.workDir`: first, whatever a killed earlier run of that work
 * folder left behind (processes of the pool's uids, workspaces, shared temp files) goes; then the
 * platform probe starts (a refusal surfaces at the first prepare).
 */
export async function openSandbox(options: SandboxOptions & { workDir: string }, log: Logger): Promise<Sandbox> {
  const { workDir, ...sandbox } = options;
  await removeLeftovers({ workDir, uid: sandbox.uid, poolSize: sandbox.poolSize, log });
  return createSandbox(sandbox, log);
}
