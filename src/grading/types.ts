import type { RunnerBuild } from '../build-info.js';
import type { SandboxLimits, SandboxMode } from '../sandbox/index.js';

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
  | 'TAMPERED'            // the reports or the run's end were not the harness's (score 0, reason in error)
  | 'UNSCORABLE'          // the reports exceed the runner's budget or could not all be read (score 0)
  | 'INVALID_SUBMISSION'  // bad ZIP, missing required files (status ERROR)
  | 'PIT_UNAVAILABLE'     // the PIT named is unknown here: deployment, not the student (status ERROR)
  | 'PIT_MISCONFIGURED'   // the PIT's configuration is at fault (invalid, or a run's evidence says so): not the student (status ERROR)
  | 'INTERNAL_ERROR';     // runner fault (status ERROR)

/** Why a result may be incomplete or was not trusted; the codes are stable, the message is for people. */
export type IntegrityCode =
  | 'FILES_IGNORED'        // files of the submission outside the PIT's solution were dropped
  | 'REPORT_REJECTED'      // a report file was not a regular file of the project, or not readable XML
  | 'REPORTS_OVER_BUDGET'  // more or larger reports than the runner reads: the run cannot be scored
  | 'HARNESS_UNFINISHED'   // the test command did not end the way a finished harness does
  | 'HARNESS_REFUSED'      // the runtime harness stopped the run: the solution changed the test framework
  | 'SENTINEL_PASSED'      // the run's always-failing test was reported as not failing
  | 'SENTINEL_MISSING'     // tests were reported but the run's sentinel test was not
  | 'VERDICT_FORGED';      // the harness's verdict channel carried a record without the run's key

export interface IntegrityNote { code: IntegrityCode; message: string; files?: string[] }

export type TestStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface TestResult {
  name: string;
  classname: string;
  status: TestStatus;
  timeMs: number;
  message?: string;
  /** The PIT hides this test from students (it still counts in the score). */
  hidden?: true;
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
  integrity?: IntegrityNote[];   // what the runner set aside or distrusted, for instructors to filter on
  error?: { code: string; message: string };
  /** Present when the PIT has hidden tests: each sandboxed run as it ended (instructor-only). */
  runs?: Runs;
  /** What produced this result; absent on results from before it was recorded ("provenance unknown"). */
  provenance?: Provenance;
}

/**
 * What produced a result, so a grade can be traced and regraded: the PIT's content, the runner's build,
 * the toolchain the tests ran with, the sandbox and its limits. A field that could not be measured is null.
 */
export interface Provenance {
  /** sha256 of the PIT's config file and every file of its template (null: the PIT could not be loaded). */
  pitHash: string | null;
  runner: RunnerBuild;
  buildTool: string | null;
  /** Versions of the tools the PIT's build tool uses, measured on this runner, e.g. { java: '17.0.13' }. */
  toolchain: Record<string, string | null>;
  sandbox: { mode: SandboxMode; limits: SandboxLimits; timeoutMs: number; network: boolean } | null;
}

/** What a student sees of the hidden run: how many hidden tests there are and how many passed, or nothing. */
export type HiddenFeedback = 'counts' | 'none';

/** The two runs of a submission to a PIT with hidden tests; `hidden` is absent when it was not run. */
export interface Runs { visible: RunRecord; hidden?: RunRecord; hiddenFeedback: HiddenFeedback }

/** One sandboxed run as it ended: its own outcome, score and words (the hidden run's are never a student's). */
export interface RunRecord {
  outcome: Outcome;
  score: number;
  summary: Summary;
  exitCode: number | null;
  timedOut: boolean;
  executeMs: number;
  notes?: string[];
  integrity?: IntegrityNote[];
  error?: { code: string; message: string };
  /** Tests this run reported but does not score: in the visible run those `hiddenTests` names, in the hidden run the visible ones. */
  dropped?: string[];
}

/** What a student may see of a result (built by `studentFeedback`): what the platform shows. */
export interface StudentFeedback {
  status: GradeResult['status'];
  outcome: Outcome;
  score: number;
  summary: Summary;
  /** Visible tests only, messages bounded. */
  tests: Array<Pick<TestResult, 'name' | 'classname' | 'status'> & { message?: string }>;
  /** Present when the PIT hides tests: how many there are and how many did not pass, nothing else. */
  hidden?: { total: number; failed: number };
  /** Files of the submission that were not taken (not part of the solution), so the student knows why. */
  ignored?: string[];
  /** The runner's notes and error message, without anything that names a hidden test. */
  notes?: string[];
  error?: { code: string; message: string };
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
  solution: string[];                 // globs of the student's files; the rest of a submission is dropped
  sentinel: boolean;                  // add a failing test with a random name to every run (default true)
  reports: string[];                  // globs relative to the project root
  expectedTests?: string[];           // "classname#name" ids
  weights?: Record<string, number>;   // by test id; default 1
  hiddenTests?: string[];             // test id patterns (`*` wildcard) of the hidden tests
  hiddenFiles?: string[];             // template files (relative, resolved from the PIT's globs) that hold them: in the hidden run only
  hiddenFeedback: HiddenFeedback;     // what students see of the hidden run (default counts)
  testTimeoutMs?: number;             // per-test time limit, enforced by each build tool's harness
  network: boolean;
  limits: SandboxLimits;
  configFile: string;                 // absolute path of <pitsDir>/<pitId>.json
}
