import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { CappedLog } from '../../src/grading/capped-log.js';
import { createSandbox } from '../../src/sandbox/sandbox.js';
import type { Sandbox, SandboxOptions, SandboxResult, SandboxRun } from '../../src/sandbox/index.js';
import { processesOf } from '../../src/sandbox/processes.js';
import type { SandboxLimits } from '../../src/sandbox/types.js';
import { createLogger, silentLogger } from '../../src/log.js';

// Not the default 10001: other suites' sandboxes sweep that uid machine-wide, and one uid serves one runner at a time.
// RUNNER_SANDBOX_UID moves it along, so parallel test runs on one machine keep to uids of their own.
export const UID = Number(process.env.RUNNER_SANDBOX_UID ?? 10001) + 141;
export const isRoot = process.getuid?.() === 0;
/** Every hostile test runs in both modes: uid is the Fargate path, forced. */
export const MODES = ['namespaces', 'uid'] as const;
export const limits: SandboxLimits = { processes: 200, memoryMb: 256, fileSizeMb: 20, openFiles: 256, cpuSeconds: 30 };

/**
 * A root-owned 0711 parent for the tests' workspaces, as the runner's work dir would be: beside the
 * checkout, not under /tmp, since uid mode refuses a work folder below one the sandbox uids may write.
 */
// As root, uid mode refuses a work folder below anything sandbox uids can write (a checkout under /tmp
// would be): /var/lib is root's wherever the checkout lives.
export const workRoot = isRoot ? `/var/lib/pit-runner-tests/work-${process.pid}` : path.join(os.tmpdir(), `pit-runner-sandbox-test-${process.pid}`);

export interface Ran { result: SandboxResult; log: string; output: CappedLog }

/** A sandbox plus helpers that create a workspace with `files`, run one command in it and clean up. */
export function sandboxFixture(options: Partial<SandboxOptions> = {}) {
  const sandbox: Sandbox = createSandbox({ uid: UID, gid: UID, poolSize: 16, workspaceMaxBytes: 200 * 1024 * 1024, ...options }, process.env.SANDBOX_TEST_LOG ? createLogger(process.env.SANDBOX_TEST_LOG) : silentLogger);

  async function workspace(files: Record<string, string> = {}): Promise<string> {
    await mkdir(workRoot, { recursive: true, mode: 0o711 });
    const dir = await mkdtemp(path.join(workRoot, 'ws-'));
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    await sandbox.prepare(dir);
    return dir;
  }

  async function runIn(dir: string, command: string, run: Partial<Omit<SandboxRun, 'output'>> & { output?: CappedLog } = {}): Promise<Ran> {
    const output = run.output ?? new CappedLog(256 * 1024);
    const result = await sandbox.run({
      command, shell: true, cwd: dir, env: {}, timeoutMs: 10_000, limits, network: false, output, maxOutputBytes: 64 * 1024 * 1024, ...run,
    });
    return { result, log: output.toBuffer().toString(), output };
  }

  /** One whole submission: workspace, one command, cleanup (whatever happened). */
  async function run(command: string, files: Record<string, string> = {}, run: Partial<Omit<SandboxRun, 'output'>> & { output?: CappedLog } = {}): Promise<Ran> {
    const dir = await workspace(files);
    try {
      return await runIn(dir, command, run);
    } finally {
      await sandbox.cleanup(dir);
    }
  }

  /** The next submission is graded normally: runs, prints, exits 0, leaves nothing. */
  async function assertHealthy(): Promise<void> {
    const { result, log } = await run('echo next-submission-ok');
    assert.is(result.exitCode, 0, log);
    assert.match(log, 'next-submission-ok');
    assert.equal(await leftovers(), []);
  }

  return { sandbox, workspace, runIn, run, assertHealthy };
}

/** Live processes of the sandbox uid (none may survive a run). */
export const leftovers = () => processesOf(UID);
