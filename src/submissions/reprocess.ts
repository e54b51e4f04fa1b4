import { toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { pitHash } from '../grading/pit-hash.js';
import { loadPit } from '../pits/load.js';
import type { SubmissionOutcome } from './run.js';
import type { SubmissionStatus } from '../grading/types.js';

/** Which past submissions to reprocess: ids, or any mix of the other filters. */
export interface ReprocessSelection {
  ids?: string[];
  status?: SubmissionStatus;
  pitId?: string;
  since?: Date;
  until?: Date;
  /** Only submissions whose current result was graded by another version of their PIT than the one deployed now. */
  stale?: boolean;
  limit?: number;
}

/** The row fields a reprocess needs (the queue message of the seeds carries all of them). */
export interface SelectedSubmission {
  id: string;
  fileKey: string;
  userId: string | null;
  pitId: string;
  createdAt: Date | string;
}

/** The part of the submissions repository reprocess uses. */
export interface ReprocessRepository {
  select(filter: Omit<ReprocessSelection, 'stale'> & { staleAgainst?: Record<string, string> }): Promise<SelectedSubmission[]>;
  /** The PITs of submissions that have a current result. */
  gradedPitIds(): Promise<string[]>;
  resetToPending(ids: string[]): Promise<unknown>;
}

/**
 * The selected rows. With `stale`, each PIT concerned is loaded from `pitsDir` and hashed as it is now;
 * a submission is stale when its current result names another hash, or none (graded before hashes were
 * recorded). A PIT that cannot be loaded here is left out and named in `unloadable`.
 */
export async function selectSubmissions(selection: ReprocessSelection, deps: { repository: ReprocessRepository; pitsDir: string; log: Logger }): Promise<{ rows: SelectedSubmission[]; unloadable: string[] }> {
  const { stale, ...filter } = selection;
  if (!stale) return { rows: await deps.repository.select(filter), unloadable: [] };
  const pitIds = selection.pitId ? [selection.pitId] : await deps.repository.gradedPitIds();
  const hashes: Record<string, string> = {};
  const unloadable: string[] = [];
  for (const pitId of pitIds) {
    try {
      hashes[pitId] = await pitHash(await loadPit(deps.pitsDir, pitId));
    } catch (err) {
      unloadable.push(pitId);
      deps.log.warn({ pitId, err: toRunnerError(err).message }, 'reprocess --stale: this PIT cannot be loaded here: its submissions are left out');
    }
  }
  return { rows: await deps.repository.select({ ...filter, staleAgainst: hashes }), unloadable };
}

export interface Progress { done: number; total: number; failed: number }

export interface ReprocessSummary {
  mode: 'enqueue' | 'inline';
  selected: number;
  enqueued: number;
  graded: number;
  skipped: number;
  /** Being graded elsewhere under a live lease: left alone. */
  busy: number;
  missing: number;
  failed: number;
  failures: Array<{ id: string; code: string; message: string }>;
}

export const emptySummary = (mode: ReprocessSummary['mode'], selected: number): ReprocessSummary =>
  ({ mode, selected, enqueued: 0, graded: 0, skipped: 0, busy: 0, missing: 0, failed: 0, failures: [] });

/** The message body the submissions queue carries: the API's shape, so `process --message` and the Pipe read it alike. */
export function queueMessageBody(row: SelectedSubmission): string {
  const createdAt = row.createdAt instanceof Date ? row.createdAt.toISOString() : row.createdAt;
  return JSON.stringify({ submissionId: row.id, fileKey: row.fileKey, userId: row.userId, pitId: row.pitId, createdAt });
}

/**
 * Rows back to PENDING, then one message each, ten at a time: the reset comes first so a message is
 * never read while its row is still final (it would be skipped). A batch that fails to send leaves
 * its rows PENDING, counted in `failed`, so a second run picks them up with --status PENDING.
 */
export async function enqueueSubmissions(
  rows: SelectedSubmission[],
  deps: { repository: ReprocessRepository; queue: { sendBatch(bodies: string[]): Promise<{ sent: number }> }; log: Logger; onProgress?(p: Progress): void; signal?: AbortSignal },
): Promise<ReprocessSummary> {
  const summary = emptySummary('enqueue', rows.length);
  for (let start = 0; start < rows.length && !deps.signal?.aborted; start += 10) {
    const batch = rows.slice(start, start + 10);
    try {
      await deps.repository.resetToPending(batch.map((row) => row.id));
      summary.enqueued += (await deps.queue.sendBatch(batch.map(queueMessageBody))).sent;
    } catch (err) {
      const error = toRunnerError(err);
      deps.log.warn({ code: error.code, ids: batch.map((row) => row.id) }, `batch not enqueued: ${error.message}`);
      summary.failed += batch.length;
      summary.failures.push(...batch.map((row) => ({ id: row.id, code: error.code, message: error.message })));
    }
    deps.onProgress?.({ done: Math.min(start + 10, rows.length), total: rows.length, failed: summary.failed });
  }
  return summary;
}

/** Grades each row here, `concurrency` at a time, forcing a regrade of final rows. */
export async function gradeInline(
  rows: SelectedSubmission[],
  deps: { grade(id: string): Promise<SubmissionOutcome>; concurrency: number; log: Logger; onProgress?(p: Progress): void; signal?: AbortSignal },
): Promise<ReprocessSummary> {
  const summary = emptySummary('inline', rows.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < rows.length && !deps.signal?.aborted) {
      const row = rows[next++]!;
      try {
        const outcome = await deps.grade(row.id);
        summary[outcome.kind] += 1;
      } catch (err) {
        const error = toRunnerError(err);
        summary.failed += 1;
        summary.failures.push({ id: row.id, code: error.code, message: error.message });
      }
      deps.onProgress?.({ done: ++done, total: rows.length, failed: summary.failed });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency, rows.length)) }, worker));
  return summary;
}
