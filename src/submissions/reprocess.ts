import type { Queue } from '../ports.js';
import { toRunnerError, usageError } from '../errors.js';
import { isUuid } from '../ids.js';
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

/** The filters as an operator gives them (the command's flags), not yet checked. */
export interface ReprocessFilters {
  ids?: string[];
  status?: string;
  pitId?: string;
  since?: Date;
  until?: Date;
  stale?: boolean;
  limit?: number;
}

const statuses: SubmissionStatus[] = ['PENDING', 'RUNNING', 'DONE', 'ERROR'];

/** Checked filters: a USAGE error names the flag of a bad id or status, or says nothing was selected. */
export function selectionOf(filters: ReprocessFilters): ReprocessSelection {
  const bad = filters.ids?.filter((id) => !isUuid(id)) ?? [];
  if (bad.length) throw usageError(`--ids: not submission ids: ${bad.join(', ')}`);
  const status = filters.status?.toUpperCase() as SubmissionStatus | undefined;
  if (status && !statuses.includes(status)) throw usageError(`--status: one of ${statuses.join(', ')} (got "${filters.status}")`);
  const { ids, pitId, since, until, stale, limit } = filters;
  const selection: ReprocessSelection = {
    ...(ids?.length && { ids }), ...(status && { status }), ...(pitId && { pitId }),
    ...(since && { since }), ...(until && { until }), ...(stale && { stale }), ...(limit && { limit }),
  };
  if (!selection.ids && !selection.status && !selection.pitId && !selection.since && !selection.until && !selection.stale) {
    throw usageError('select something: --ids, or any of --stale, --status, --pit, --since, --until');
  }
  return selection;
}

/** Above this many rows a person confirms (or passes --yes). */
export const CONFIRM_ABOVE = 20;

export interface ReprocessPlan {
  mode: 'enqueue' | 'inline';
  dryRun?: boolean;
  /** --mode inline: submissions graded at once. */
  concurrency?: number;
  /** Confirmed beforehand (--yes): no question however many rows. */
  confirmed?: boolean;
}

export interface ReprocessRunDeps {
  repository: ReprocessRepository;
  /** Where the PITs are, as this runner grades them (`--stale` hashes them). */
  pitsDir: string;
  queue?: Pick<Queue, 'sendBatch'>;
  grade?(id: string): Promise<SubmissionOutcome>;
  log: Logger;
  signal?: AbortSignal;
  onProgress?(p: Progress): void;
  /** Asks a yes/no question; undefined when nobody can answer (no terminal). */
  confirm?(question: string): Promise<boolean>;
}

/** What a reprocess did: only looked, was declined, or enqueued/graded the selection. */
export type Reprocessed =
  | { kind: 'looked'; ids: string[]; unloadable: string[] }
  | { kind: 'declined'; selected: number }
  | { kind: 'done'; summary: ReprocessSummary };

/** Select; a dry run (or nothing found) stops there; confirm above CONFIRM_ABOVE; then enqueue or grade. */
export async function reprocessSelection(selection: ReprocessSelection, plan: ReprocessPlan, deps: ReprocessRunDeps): Promise<Reprocessed> {
  const { rows, unloadable } = await selectSubmissions(selection, deps);
  if (plan.dryRun || !rows.length) return { kind: 'looked', ids: rows.map((row) => row.id), unloadable };
  if (rows.length > CONFIRM_ABOVE && !plan.confirmed) {
    if (!deps.confirm) throw usageError(`${rows.length} submissions selected (more than ${CONFIRM_ABOVE}): pass --yes to confirm, or --dry-run to look first`);
    if (!(await deps.confirm(`Reprocess ${rows.length} submissions (--mode ${plan.mode})? [y/N] `))) return { kind: 'declined', selected: rows.length };
  }
  const common = { log: deps.log, ...(deps.onProgress && { onProgress: deps.onProgress }), ...(deps.signal && { signal: deps.signal }) };
  const summary = plan.mode === 'enqueue'
    ? await enqueueSubmissions(rows, { ...common, repository: deps.repository, queue: deps.queue! })
    : await gradeInline(rows, { ...common, grade: deps.grade!, concurrency: plan.concurrency ?? 1 });
  return { kind: 'done', summary };
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
  deps: { repository: ReprocessRepository; queue: Pick<Queue, 'sendBatch'>; log: Logger; onProgress?(p: Progress): void; signal?: AbortSignal },
): Promise<ReprocessSummary> {
  const summary = emptySummary('enqueue', rows.length);
  for (let start = 0; start < rows.length && !deps.signal?.aborted; start += 10) {
    const batch = rows.slice(start, start + 10);
    try {
      await deps.repository.resetToPending(batch.map((row) => row.id));
      summary.enqueued += (await deps.queue.sendBatch(batch.map(queueMessageBody), deps.signal)).sent;
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
