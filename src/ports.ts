/**
 * The ports: what the use cases need from the outside world. Adapters implement them (storage/, db/,
 * aws/); only the composition root chooses which.
 */
import type { GradeResult, StudentFeedback, SubmissionStatus } from './grading/types.js';

/** Where submission ZIPs come from and logs go: a local folder or S3. */
export interface SubmissionStorage {
  /** Human-readable location, e.g. "s3://bucket/prefix" (no secrets). */
  readonly location: string;
  /**
   * Streams the object at `key` to `destFile`. Throws RunnerError SUBMISSION_NOT_FOUND when it does
   * not exist, INVALID_SUBMISSION when larger than `maxBytes`, TRANSIENT on a retryable fault, and
   * the signal's reason once `signal` aborts (a stop, the submission's deadline).
   */
  download(key: string, destFile: string, maxBytes: number, signal?: AbortSignal): Promise<{ bytes: number }>;
  /**
   * Stores the capped log of one attempt at `logs/<submissionId>/<attempt>/run.log` (a key no other
   * attempt writes) and returns that key; `signal` as for download.
   */
  putLog(submissionId: string, attempt: number, body: Buffer, signal?: AbortSignal): Promise<string>;
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
  /**
   * RUNNING + attempt+1 + a fresh heartbeat, fenced. Not claimed: `missing` (no row), `final` (DONE or
   * ERROR and not forced), `busy` (RUNNING under a live lease: heartbeat younger than `leaseSeconds`,
   * default RUNNER_LEASE_S). A RUNNING row whose heartbeat is older is taken over.
   */
  claim(id: string, options?: { force?: boolean; leaseSeconds?: number }): Promise<
    | { claimed: true; attempt: number; submission: SubmissionRecord; previousStatus: SubmissionStatus }
    | { claimed: false; reason: 'missing' | 'final' | 'busy'; status?: SubmissionStatus }>;
  /** Renews the lease of `attempt` (heartbeat = now); false when that attempt no longer owns the row. */
  heartbeat(id: string, attempt: number): Promise<boolean>;
  /**
   * Writes the final result only while `attempt` is still the row's attempt; false when stale. `beside`:
   * an ERROR recorded beside the DONE grade the submission keeps (a failure to grade never replaces a grade).
   */
  publish(id: string, attempt: number, result: GradeResult, logsKey: string | null, student?: StudentFeedback): Promise<boolean | 'beside'>;
  /** Back to PENDING (SIGTERM, transient fault), or to `to` (a forced regrade's earlier final status), only while `attempt` is current. */
  release(id: string, attempt: number, to?: SubmissionStatus): Promise<boolean>;
}

/** One received queue message. */
export interface ReceivedMessage {
  id: string;
  receiptHandle: string;
  body: string;
  /** 1 on the first delivery; past the queue's maxReceiveCount SQS moves the message to the DLQ. */
  receiveCount: number;
}

/**
 * The few queue calls the runner makes: SQS in production (src/aws/sqs-queue.ts), a fake in tests and
 * benchmarks. Every call ends by its own deadline or once `signal` aborts, whatever the queue does;
 * then it throws the signal's reason.
 */
export interface Queue {
  readonly url: string;
  /** `visibilitySeconds`: how long received messages stay hidden before the first heartbeat renews it. */
  receive(options: { max: number; waitSeconds: number; visibilitySeconds?: number; signal?: AbortSignal }): Promise<ReceivedMessage[]>;
  delete(receiptHandle: string, signal?: AbortSignal): Promise<void>;
  changeVisibility(receiptHandle: string, seconds: number, signal?: AbortSignal): Promise<void>;
  /** Sends in batches of ten (the SQS limit); throws TRANSIENT naming how many failed. */
  sendBatch(bodies: string[], signal?: AbortSignal): Promise<{ sent: number }>;
}
