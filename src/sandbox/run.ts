import { constants } from 'node:os';
import { execa } from 'execa';
import { RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseCommandLine } from './command-line.js';
import { HARNESS_KEY_FD, HARNESS_RECORD_FD, HARNESS_RECORD_MAX_BYTES, type SandboxMode, type SandboxResult, type SandboxRun } from './types.js';
import { diskUsage } from './space.js';
import { sandboxEnvironment, submissionMemoryBytes } from './env.js';
import { sharedMemoryOf } from './ipc.js';
import { killAllOf, killQuietly, memoryOf } from './processes.js';
import { watchFilesOutsideWorkspace } from './shared-tmp.js';
import { outputScanner, type OutputSigns } from './signs.js';
import { wrapCommand } from './wrapper.js';

export interface RunContext {
  mode: SandboxMode;
  uid: number;
  gid: number;
  cwd: string;                 // real path
  workspace: string;           // real path of the prepared workspace holding cwd
  hide: string[];
  readable?: string[];
  workspaceMaxBytes: number;
  filter?: string;             // the system-call filter's launcher, when enforced
}

type StopReason = 'timeout' | 'output' | 'disk' | 'memory' | 'abort';

const DISK_CHECK_MS = 500;
const MEMORY_CHECK_MS = 200;
const STREAM_GRACE_MS = 2_000;   // after the test exits, for pipes still held by an escaped process

/** Runs one command in the sandbox; every process it started is gone when this returns. */
export async function runCommand(run: SandboxRun, context: RunContext, log: Logger): Promise<SandboxResult> {
  if (run.signal?.aborted) throw stopped();
  const command = run.shell ? ['/bin/sh', '-c', run.command] : parseCommandLine(run.command);
  const argv = wrapCommand(command, { ...context, limits: run.limits, network: run.network });
  const started = performance.now();
  const child = spawn(argv, run, context);
  const stopper = stopperOf(child, context);
  const output = captureOutput(child, run, stopper.stop);
  const watchdogs = startWatchdogs(run, context, stopper.stop);
  child.once('exit', stopper.afterExit);

  const result = await child;
  watchdogs.clear();
  const survivors = await stopper.settle();
  if (survivors.length) log.error({ pids: survivors }, 'sandbox processes survived SIGKILL');
  if (result.exitCode === undefined && result.signal === undefined) {
    throw new RunnerError('INTERNAL', `cannot start the sandbox (${argv[0]}): ${result.shortMessage}`, { cause: result.cause });
  }

  const outcome: SandboxResult = {
    ...judge(context.mode, result, stopper.reason(), output.signs, Math.round(performance.now() - started)),
    ...(run.harnessKey && { harnessRecords: output.harnessRecords() }),
  };
  noteLimits(run, context, outcome, stopper.reason() === 'memory' ? watchdogs.memoryPeak() : undefined);
  log.debug({ command: run.command, ...outcome, outputBytes: output.produced() }, 'sandbox run done');
  if (outcome.aborted) throw stopped();
  return outcome;
}

function spawn(argv: string[], run: SandboxRun, context: RunContext) {
  return execa(argv[0]!, argv.slice(1), {
    cwd: context.cwd, env: sandboxEnvironment(context.workspace, run.limits, run.env), extendEnv: false,
    ...(run.harnessKey ? { stdio: harnessStdio(run.harnessKey) } : { stdin: 'ignore' as const }), buffer: false, encoding: 'buffer', detached: true, reject: false,
  });
}
type Child = ReturnType<typeof spawn>;
type Stop = (why: StopReason) => void;

/** The first reason to stop wins; stopping kills the run's process group and sweeps its uid. */
function stopperOf(child: Child, context: RunContext) {
  // Every sweep of the uid started for this run is awaited before the run returns: one still
  // running later would kill the next submission leased this uid.
  const sweeps: Array<Promise<number[]>> = [];
  const killAll = () => {
    // The group holds the wrapper and, with namespaces, the namespace's init: its death ends them all.
    if (child.pid) killQuietly(-child.pid);
    if (context.mode !== 'self') sweeps.push(killAllOf(context.uid));
  };
  let reason: StopReason | undefined;
  let grace: NodeJS.Timeout | undefined;
  return {
    reason: () => reason,
    stop(why: StopReason) {
      if (reason) return;
      reason = why;
      killAll();
    },
    /** Whatever the test left behind (background, setsid'd, daemonized) ends with it. */
    afterExit() {
      killAll();
      grace = setTimeout(() => { for (const stream of child.stdio) stream?.destroy(); }, STREAM_GRACE_MS);
    },
    /** The pids that survived every sweep. */
    async settle(): Promise<number[]> {
      clearTimeout(grace);
      return [...new Set((await Promise.all(sweeps)).flat())];
    },
  };
}

/**
 * Copies the run's output to its sink up to its bound, watching it for signs of a limit; with a harness
 * key, keeps what the harness writes on HARNESS_RECORD_FD, up to its own bound.
 */
function captureOutput(child: Child, run: SandboxRun, stop: Stop) {
  const scanner = outputScanner();
  let produced = 0;
  let capped = false;
  const onData = (chunk: Buffer) => {
    if (capped) return;
    produced += chunk.length;
    if (produced > run.maxOutputBytes) {
      run.output.write(chunk.subarray(0, chunk.length - (produced - run.maxOutputBytes)));
      capped = true;
      return stop('output');
    }
    run.output.write(chunk);
    scanner.scan(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const records: Buffer[] = [];
  let recorded = 0;
  if (run.harnessKey) {
    (child.stdio as unknown as Array<NodeJS.ReadableStream | null>)[HARNESS_RECORD_FD]?.on('data', (chunk: Buffer) => {
      recorded += chunk.length;
      if (recorded > HARNESS_RECORD_MAX_BYTES) return stop('output');
      records.push(chunk);
    });
  }
  return { signs: scanner.signs, produced: () => produced, harnessRecords: () => Buffer.concat(records) };
}

/**
 * The wall clock, the caller's abort, the workspace's disk and the submission's memory, each with what
 * the uid holds outside the workspace (shared-tmp.ts).
 */
function startWatchdogs(run: SandboxRun, context: RunContext, stop: Stop) {
  const timer = setTimeout(() => stop('timeout'), run.timeoutMs);
  const onAbort = () => stop('abort');
  run.signal?.addEventListener('abort', onAbort, { once: true });
  // Files outside the workspace count too: anonymous ones and, without namespaces, those in the host's /tmp, /var/tmp and /dev/shm.
  const memoryBound = submissionMemoryBytes(run.limits);
  const shared = context.mode === 'self' ? undefined : watchFilesOutsideWorkspace(context.uid, { memory: memoryBound, disk: context.workspaceMaxBytes }, context.mode === 'uid');
  let checking = false;
  const diskTimer = setInterval(() => {
    if (checking) return;
    checking = true;
    diskUsage(context.workspace, context.workspaceMaxBytes)
      .then((used) => { if (used + (shared?.held.disk ?? 0) > context.workspaceMaxBytes) stop('disk'); })
      .catch(() => undefined)
      .finally(() => { checking = false; });
  }, DISK_CHECK_MS);

  // Without a memory cgroup (none is delegated to the runner here or on Fargate) the runner measures
  // the submission itself; the kernel's OOM killer remains the backstop, choom makes it pick the test.
  let memoryPeak = 0;
  const memoryTimer = context.mode === 'self' ? undefined : setInterval(() => {
    const held = memoryOf(context.uid) + (context.mode === 'uid' ? sharedMemoryOf(context.uid) : 0) + (shared?.held.memory ?? 0);
    memoryPeak = Math.max(memoryPeak, held);
    if (held > memoryBound) stop('memory');
  }, MEMORY_CHECK_MS);

  return {
    memoryPeak: () => memoryPeak,
    clear() {
      clearTimeout(timer);
      clearInterval(diskTimer);
      clearInterval(memoryTimer);
      shared?.stop();
      run.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** What the run came to, from its exit, the runner's reason to stop it and the signs in its output. */
function judge(mode: SandboxMode, result: { exitCode?: number; signal?: string }, reason: StopReason | undefined,
  signs: OutputSigns, durationMs: number): SandboxResult {
  const status = exitStatus(mode, result.exitCode, result.signal);
  const failed = status.exitCode !== 0;
  return {
    ...status,
    timedOut: reason === 'timeout' || status.signal === 'SIGXCPU',
    aborted: reason === 'abort',
    // Only with evidence: a bare SIGKILL may be anyone's doing (the OOM killer, a sweep, the student).
    memoryLimited: reason === 'memory' || (!reason && failed && signs.memory),
    outputLimited: reason === 'output',
    diskLimited: reason === 'disk' || (!reason && ((failed && signs.fileTooLarge) || status.signal === 'SIGXFSZ')),
    durationMs,
  };
}

/** stdin closed, stdout and stderr captured, the key readable on HARNESS_KEY_FD, a channel back on HARNESS_RECORD_FD (the descriptors between closed). */
function harnessStdio(key: Buffer): ['ignore', 'pipe', 'pipe', ...Array<'ignore' | 'pipe' | Uint8Array>] {
  const extra: Array<'ignore' | 'pipe' | Uint8Array> = [];
  for (let fd = 3; fd <= HARNESS_RECORD_FD; fd++) extra.push(fd === HARNESS_KEY_FD ? new Uint8Array(key) : fd === HARNESS_RECORD_FD ? 'pipe' : 'ignore');
  return ['ignore', 'pipe', 'pipe', ...extra];
}

/** With namespaces the test is a child of the init shell, whose status reports a signal as 128 + n. */
function exitStatus(mode: SandboxMode, exitCode: number | undefined, signal: string | undefined) {
  if (signal || exitCode === undefined) return { exitCode: null, signal: signal ?? null };
  if (mode === 'namespaces' && exitCode > 128 && exitCode < 128 + 32) {
    const name = Object.entries(constants.signals).find(([, number]) => number === exitCode - 128)?.[0];
    if (name) return { exitCode: null, signal: name };
  }
  return { exitCode, signal: null };
}

function noteLimits(run: SandboxRun, context: RunContext, outcome: SandboxResult, memoryHeld?: number): void {
  const note = (text: string) => run.output.note(`pit-runner: ${text}`);
  if (outcome.timedOut) note(`time limit reached (${run.timeoutMs} ms wall clock or ${run.limits.cpuSeconds} s CPU): the test was stopped`);
  if (outcome.outputLimited) note(`output limit reached (${run.maxOutputBytes} bytes): the test was stopped`);
  const uid = context.mode === 'uid';
  if (outcome.diskLimited) note(`disk limit reached (workspace${uid ? ' with its files in /tmp and /var/tmp' : ''} ${context.workspaceMaxBytes} bytes, files ${run.limits.fileSizeMb} MB): the test was stopped`);
  if (memoryHeld !== undefined) note(`memory limit reached: the submission's processes held ${mib(memoryHeld)} MB together${uid ? ' (its shared memory, its files in /dev/shm and its anonymous files included)' : ' (its anonymous files included)'}, over ${mib(submissionMemoryBytes(run.limits))} MB: the test was stopped`);
  else if (outcome.memoryLimited) note(`memory limit reached (${run.limits.memoryMb} MB)`);
  if (outcome.aborted) note('the runner was stopped: the test was killed');
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);
const stopped = () => new RunnerError('STOPPED', 'stopped while running tests: every test process was killed');
