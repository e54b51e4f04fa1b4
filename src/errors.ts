/** Exit codes, as the README's table defines them. */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  NOT_UP_TO_DATE: 3,
  TRANSIENT: 75,
  /** `dispatch`: the ECS task never started (docker run's convention). */
  NOT_STARTED: 125,
  SIGTERM: 143,
} as const;

/**
 * Where a command handler leaves the exit code it returns: on the arguments object yargs hands back to
 * cli.ts's main (no module state, so main runs again and again in one process).
 */
export const EXIT_CODE = Symbol('exit code');

export type ErrorCode =
  | 'USAGE'               // wrong flag or argument
  | 'CONFIG'              // missing or malformed environment variable
  | 'INVALID_SUBMISSION'  // the student's ZIP or files are unusable (bad ZIP, missing required files)
  | 'SUBMISSION_NOT_FOUND'// the submission object or row does not exist
  | 'UNKNOWN_PIT'         // no config for that PIT id
  | 'INVALID_PIT'         // a PIT config or id that does not validate
  | 'PIT_MISCONFIGURED'   // a run's evidence points at the PIT's configuration (its tests, build, harness), not the student
  | 'INVALID_MESSAGE'     // a queue message body that does not validate
  | 'MIGRATION_DRIFT'     // an applied migration changed or vanished
  | 'LOCK_TIMEOUT'        // another runner holds the lock
  | 'TRANSIENT'           // S3, SQS, Postgres unreachable or throttled: retry later
  | 'STOPPED'             // SIGTERM/SIGINT
  | 'INTERNAL';           // a bug or an unexpected fault

/**
 * What a fault means for the submission it hit, decided here once for every caller:
 * - `student`: the submission itself is unusable (bad ZIP, missing object): a final ERROR result.
 * - `exercise`: the PIT is unknown here or at fault: a final ERROR result (never a grade against the
 *   student) and an operator alert; retryable after the fix (`reprocess --status ERROR --pit <id>`).
 * - `transient`: the runner's dependencies failed for now: release the work, retry later.
 * - `runner`: the runner's own configuration is wrong: no grade; release the work for a runner that works.
 * - `stop`: the runner was told to stop: release the work at once.
 * - `dead-letter`: the queue message itself is malformed: no redelivery can help.
 * - `internal`: anything else, a bug: a final ERROR result when grading, a retry at the queue.
 */
export type Fault = 'student' | 'exercise' | 'transient' | 'runner' | 'stop' | 'dead-letter' | 'internal';

/** The outcomes a fault gives a submission it ends (status ERROR, score 0); grading/types.ts's Outcome holds them. */
export type FaultOutcome = 'INVALID_SUBMISSION' | 'PIT_UNAVAILABLE' | 'PIT_MISCONFIGURED' | 'INTERNAL_ERROR';

/** What the queue does with the message of a submission whose handling threw the fault. */
export type FaultAck = 'retry' | 'keep' | 'release';

interface FaultRow {
  fault: Fault;
  /** The final result a grading it hits ends with; none: no grade, the claim is released and the fault thrown. */
  outcome?: FaultOutcome;
  ack: FaultAck;
  exit: number;
}

const row = (fault: Fault, outcome: FaultOutcome | undefined, ack: FaultAck, exit: number): FaultRow => ({ fault, ack, exit, ...(outcome && { outcome }) });

/**
 * The one fault table: every mapping (grading outcome, submission status, queue ack, exit code) reads
 * it. A retryable error of an `internal` code is `transient` (see policyOf); its exit code stays its code's.
 */
export const FAULT_TABLE: Readonly<Record<ErrorCode, FaultRow>> = {
  //                          fault          a grading it hits ends   the queue   exit code
  USAGE:                row('runner',      undefined,               'retry',    EXIT.USAGE),
  CONFIG:               row('runner',      undefined,               'retry',    EXIT.USAGE),
  INVALID_SUBMISSION:   row('student',     'INVALID_SUBMISSION',    'retry',    EXIT.FAILED),
  SUBMISSION_NOT_FOUND: row('student',     'INVALID_SUBMISSION',    'retry',    EXIT.FAILED),
  UNKNOWN_PIT:          row('exercise',    'PIT_UNAVAILABLE',       'retry',    EXIT.FAILED),
  INVALID_PIT:          row('exercise',    'PIT_MISCONFIGURED',     'retry',    EXIT.FAILED),
  PIT_MISCONFIGURED:    row('exercise',    'PIT_MISCONFIGURED',     'retry',    EXIT.FAILED),
  INVALID_MESSAGE:      row('dead-letter', undefined,               'keep',     EXIT.FAILED),
  MIGRATION_DRIFT:      row('internal',    'INTERNAL_ERROR',        'retry',    EXIT.NOT_UP_TO_DATE),
  LOCK_TIMEOUT:         row('internal',    'INTERNAL_ERROR',        'retry',    EXIT.TRANSIENT),
  TRANSIENT:            row('transient',   undefined,               'retry',    EXIT.TRANSIENT),
  STOPPED:              row('stop',        undefined,               'release',  EXIT.SIGTERM),
  INTERNAL:             row('internal',    'INTERNAL_ERROR',        'retry',    EXIT.FAILED),
};

export interface FaultPolicy extends FaultRow {
  /** The submission's status after the fault: a final ERROR, or released for a later attempt. */
  status: 'ERROR' | 'RELEASED';
}

/** The fault table's row for anything thrown. */
export function policyOf(err: unknown): FaultPolicy {
  const error = toRunnerError(err);
  const listed = FAULT_TABLE[error.code];
  const found = listed.fault === 'internal' && error.retryable ? { ...FAULT_TABLE.TRANSIENT, exit: listed.exit } : listed;
  return { ...found, status: found.outcome ? 'ERROR' : 'RELEASED' };
}

export const faultOf = (err: unknown): Fault => policyOf(err).fault;

export interface RunnerErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** Extra structured fields for the log (never secrets). */
  details?: Record<string, unknown>;
}

/** The one error type: callers branch on `code`, the CLI exits with `exitCode`. */
export class RunnerError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly exitCode: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: RunnerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RunnerError';
    this.code = code;
    this.retryable = options.retryable ?? code === 'TRANSIENT';
    this.exitCode = FAULT_TABLE[code].exit;
    if (options.details) this.details = options.details;
  }
}

export const usageError = (message: string) => new RunnerError('USAGE', message);
export const transientError = (message: string, cause?: unknown) =>
  new RunnerError('TRANSIENT', message, { cause });

const transientNodeCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
  // the runner's own disk or file table is exhausted: not the student's fault, worth another try
  'ENOSPC', 'EMFILE', 'ENFILE', 'EDQUOT',
]);
// SQLSTATE classes that mean "try again": connection exceptions, insufficient resources,
// operator intervention (admin shutdown, statement timeout), serialization failures, deadlocks and an
// idle-in-transaction timeout.
const transientSqlStates = /^(08|53|57P|57014|40001|40P01|25P03)/;

/**
 * True for faults worth retrying: network errors, AWS throttling/5xx (the SDK marks them with
 * `$retryable` or a 5xx `$metadata.httpStatusCode`), Postgres connection and resource errors.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof RunnerError) return err.retryable;
  if (!err || typeof err !== 'object') return false;
  const e = err as {
    code?: unknown; name?: unknown; $retryable?: unknown;
    $metadata?: { httpStatusCode?: number }; errno?: unknown;
  };
  if (typeof e.code === 'string' && (transientNodeCodes.has(e.code) || transientSqlStates.test(e.code))) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  if (typeof e.name === 'string' && /Throttl|TimeoutError|RequestTimeout|SlowDown|ServiceUnavailable/.test(e.name)) return true;
  return false;
}

/** Wraps anything thrown into a RunnerError, keeping the original as `cause`. */
export function toRunnerError(err: unknown): RunnerError {
  if (err instanceof RunnerError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return isTransient(err)
    ? new RunnerError('TRANSIENT', message, { cause: err })
    : new RunnerError('INTERNAL', message, { cause: err });
}
