/** Shared shapes of the grading pipeline. Modules below `grading/` and the adapters above agree on these. */

export type SubmissionStatus = 'PENDING' | 'RUNNING' | 'DONE' | 'ERROR';
export type FinalStatus = 'DONE' | 'ERROR';

export type Outcome =
  | 'PASSED'              // every expected test passed
  | 'FAILED'              // some tests failed
  | 'COMPILE_ERROR'       // the build failed and produced no reports
  | 'TIME_LIMIT'          // wall-clock timeout
  | 'MEMORY_LIMIT'
  | 'OUTPUT_LIMIT'        // output or disk bound exceeded
  | 'NO_TESTS'            // the run produced no test results
  | 'INVALID_SUBMISSION'  // bad ZIP, missing required files (status ERROR)
  | 'INTERNAL_ERROR';     // unknown PIT, runner fault (status ERROR)

export type TestStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface TestResult {
  name: string;
  classname: string;
  status: TestStatus;
  timeMs: number;
  message?: string;
}

export interface Summary { total: number; passed: number; failed: number; errors: number; skipped: number }

export interface Timings {
  fetchMs?: number;
  unpackMs: number;
  prepareMs?: number;
  executeMs: number;
  scoreMs: number;
  totalMs: number;
}

/** What `process` prints and what `publish` stores (feedback = tests + notes). */
export interface GradeResult {
  pitId: string;
  status: FinalStatus;
  outcome: Outcome;
  score: number;                 // 0–100, two decimals
  summary: Summary;
  tests: TestResult[];
  timings: Timings;
  exitCode: number | null;       // of the test command; null when it never ran or was killed
  timedOut: boolean;
  logBytes: number;              // bytes of output produced (before capping)
  logTruncated: boolean;
  notes?: string[];              // e.g. "ignored 3 unexpected tests from reports"
  error?: { code: string; message: string };
}

/** Resource limits for the test processes; every field has a default in the PIT loader. */
export interface SandboxLimits {
  processes: number;    // RLIMIT_NPROC for the sandbox uid
  memoryMb: number;     // heap bound (JVM: -Xmx via JAVA_TOOL_OPTIONS) and RLIMIT_DATA for others
  fileSizeMb: number;   // RLIMIT_FSIZE
  openFiles: number;    // RLIMIT_NOFILE
  cpuSeconds: number;   // RLIMIT_CPU
}

/** A loaded, validated PIT; paths are absolute. */
export interface PitConfig {
  pitId: string;
  language: string;
  buildTool: string;
  testCommand: string;
  shell: boolean;                     // run commands through /bin/sh -c (default false: argv)
  maxTimeoutMs: number;
  setupCommands: string[];
  environment: Record<string, string>;
  requiredFiles: string[];
  template?: string;                  // absolute folder copied over the submission
  reports: string[];                  // globs relative to the project root
  expectedTests?: string[];           // "classname#name" ids
  weights?: Record<string, number>;   // by test id; default 1
  network: boolean;
  limits: SandboxLimits;
  configFile: string;                 // absolute path of <pitsDir>/<pitId>.json
}

/** Where submission ZIPs come from and logs go: a local folder or S3. */
export interface SubmissionStorage {
  /** Human-readable location, e.g. "s3://bucket/prefix" (no secrets). */
  readonly location: string;
  /**
   * Streams the object at `key` to `destFile`. Throws RunnerError SUBMISSION_NOT_FOUND when it does
   * not exist, INVALID_SUBMISSION when larger than `maxBytes`, TRANSIENT on a retryable fault.
   */
  download(key: string, destFile: string, maxBytes: number): Promise<{ bytes: number }>;
  /** Stores the capped log at `logs/<submissionId>/run.log` and returns that key. */
  putLog(submissionId: string, body: Buffer): Promise<string>;
}

/** A submission row as the pipeline sees it (the db repository maps columns to this). */
export interface SubmissionRecord {
  id: string;
  userId: string | null;
  pitId: string;
  fileKey: string;
  status: SubmissionStatus;
  attempt: number;
}

/** The results store: the db repository implements it; the pipeline depends only on this. */
export interface ResultsStore {
  /** RUNNING + attempt+1, fenced; null when the row does not exist; `skipped` when already final and not forced. */
  claim(id: string, options?: { force?: boolean }): Promise<
    | { claimed: true; attempt: number; submission: SubmissionRecord; previousStatus: SubmissionStatus }
    | { claimed: false; reason: 'missing' | 'final'; status?: SubmissionStatus }>;
  /** Writes the final result only while `attempt` is still the row's attempt; false when stale. */
  publish(id: string, attempt: number, result: GradeResult, logsKey: string | null): Promise<boolean>;
  /** Back to PENDING (SIGTERM, transient fault), or to `to` (a forced regrade's earlier final status), only while `attempt` is current. */
  release(id: string, attempt: number, to?: SubmissionStatus): Promise<boolean>;
}
