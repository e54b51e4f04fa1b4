/** What the sandbox takes and gives: nothing here imports from outside `src/sandbox/`. */

/** Resource limits for the test processes; every field has a default in the PIT loader. */
export interface SandboxLimits {
  processes: number;    // RLIMIT_NPROC for the sandbox uid
  memoryMb: number;     // heap bound (JVM: -Xmx via JAVA_TOOL_OPTIONS) and RLIMIT_DATA for others
  fileSizeMb: number;   // RLIMIT_FSIZE
  openFiles: number;    // RLIMIT_NOFILE
  cpuSeconds: number;   // RLIMIT_CPU
}

/**
 * How tests are started, strongest first:
 * - `namespaces`: root that may create namespaces (laptop, EC2, CI): own PID, mount and network
 *   namespaces, a separate uid, limits. The PID namespace dies with its init, taking every
 *   forked, setsid'd or daemonized process along.
 * - `uid`: root without CAP_SYS_ADMIN (Fargate): separate uid and limits; the process tree is
 *   killed by process group plus a sweep of the uid's processes; network and /tmp stay reachable.
 * - `self`: not root: the runner's own uid, limits, process-group kill. Secrets are not protected.
 */
export type SandboxMode = 'namespaces' | 'uid' | 'self';

/** Where a run's output goes: the grading pipeline's capped log, or anything that keeps bytes and notes. */
export interface OutputSink {
  write(chunk: Buffer): void;
  /** A line from the runner itself, set apart from the test's output. */
  note(text: string): void;
}

export interface SandboxRun {
  command: string;
  shell: boolean;                   // true: /bin/sh -c command; false: parsed into an argument vector
  cwd: string;                      // inside a prepared workspace
  env: Record<string, string>;      // the PIT's environment, on top of the sandbox's allow-list
  timeoutMs: number;
  limits: SandboxLimits;
  network: boolean;
  output: OutputSink;
  maxOutputBytes: number;           // output beyond this kills the run (outputLimited)
  signal?: AbortSignal;
  /**
   * The verdict channel of a runtime harness: `key` is readable once on HARNESS_KEY_FD, and what the
   * harness writes to HARNESS_RECORD_FD comes back as `harnessRecords`. Neither descriptor is a file the
   * sandbox uid can open by name, so a report that arrives there was written by whoever held the fd.
   */
  harnessKey?: Buffer;
}

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;                // wall clock, or the CPU-seconds limit (SIGXCPU)
  aborted: boolean;
  memoryLimited: boolean;
  outputLimited: boolean;
  diskLimited: boolean;
  durationMs: number;
  /** What arrived on HARNESS_RECORD_FD (runs with a `harnessKey`), at most HARNESS_RECORD_MAX_BYTES. */
  harnessRecords?: Buffer;
}

export interface Sandbox {
  /** True when tests run as a separate uid (the runner is root). */
  readonly isolated: boolean;
  /** The mode this machine allowed (probed once, at start). */
  mode(): Promise<SandboxMode>;
  prepare(workspace: string, options?: PrepareOptions): Promise<void>;
  /** Never throws for what the student does; throws RunnerError STOPPED when `signal` aborts, after killing everything. */
  run(run: SandboxRun): Promise<SandboxResult>;
  /** Kills every remaining process of the sandbox, deletes the workspace and the sandbox's temporary files. */
  cleanup(workspace: string): Promise<void>;
}

export interface PrepareOptions {
  /** Paths inside the workspace the sandbox uid must not change, move or delete (the instructor's files). */
  immutable?: string[];
}

export interface SandboxOptions {
  uid: number;                      // RUNNER_SANDBOX_UID: the first of this runner's sandbox uids
  gid: number;                      // RUNNER_SANDBOX_GID: the first of its gids
  /** uids (and gids) uid…uid+poolSize-1 are this runner's: one per submission graded at once. */
  poolSize: number;
  workspaceMaxBytes: number;        // disk a running submission may fill (diskLimited)
  /** Folders tests must not read (PIT templates, data dir): masked where a mount namespace is available. */
  hide?: string[];
  /** Host folders tests may read (read-only) besides the system's, e.g. a test harness the install builds. */
  readable?: string[];
  /**
   * `auto` (default): the strongest mode the machine allows. `namespaces` or `uid`: that mode or a
   * CONFIG error at start (`uid` forces the Fargate path anywhere). `self`: tests of the non-root path.
   */
  mode?: SandboxMode | 'auto';
}

/** The test command's descriptors of the verdict channel (3 and 4 are the wrapper scripts' own). */
export const HARNESS_KEY_FD = 7;
export const HARNESS_RECORD_FD = 8;
/** Records beyond this are dropped, and the channel says so (an incomplete verdict is never PASSED). */
export const HARNESS_RECORD_MAX_BYTES = 8 * 1048576;
