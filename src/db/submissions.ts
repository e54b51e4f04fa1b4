import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { usageError } from '../errors.js';
import type { FinalStatus, GradeResult, Outcome, Provenance, StudentFeedback, SubmissionStatus } from '../grading/types.js';
import type { ResultsStore, SubmissionRecord } from '../ports.js';
import { isUuid } from '../ids.js';
import { bounded, type Sql } from './connection.js';

/** What `feedback` (JSONB) holds: the GradeResult without the fields that have their own columns. */
export type Feedback = Omit<GradeResult, 'pitId' | 'status' | 'outcome' | 'score' | 'provenance'>;

export interface SubmissionRow extends SubmissionRecord {
  outcome: Outcome | null;
  score: number | null;
  feedback: Feedback | null;
  /** What the student may see (null for rows graded before it was stored). */
  studentFeedback: StudentFeedback | null;
  logsS3Key: string | null;
  errorCode: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Renewed while the row is being graded; null when no claim is live. */
  heartbeatAt: Date | null;
  /** The current result in the history (null: never graded). */
  currentResultId: string | null;
  /** What produced the current result; null: not graded, or graded before provenance was recorded. */
  provenance: Provenance | null;
}

/** One finished attempt, as the history keeps it. */
export interface ResultRow {
  id: string;
  submissionId: string;
  attempt: number;
  status: FinalStatus;
  outcome: Outcome | null;
  score: number | null;
  feedback: Feedback | null;
  logsS3Key: string | null;
  errorCode: string | null;
  provenance: Provenance | null;
  pitHash: string | null;
  startedAt: Date | null;
  finishedAt: Date;
  /** The submission's current result. */
  current: boolean;
}

export interface NewSubmission { id?: string; userId?: string | null; pitId: string; fileKey: string; createdAt?: Date }

export interface SubmissionFilter {
  ids?: string[];
  status?: SubmissionStatus | SubmissionStatus[];
  pitId?: string;
  since?: Date;    // created_at >= since
  until?: Date;    // created_at <  until
  /** Only rows whose current result was graded by another PIT hash than the one given for its PIT (unknown included). */
  staleAgainst?: Record<string, string>;
  limit?: number;
}

const COLUMNS = `id, user_id as "userId", pit_id as "pitId", file_key as "fileKey", status, outcome,
  score::float8 as score, feedback, student_feedback as "studentFeedback", logs_s3_key as "logsS3Key", attempt, error_code as "errorCode",
  created_at as "createdAt", updated_at as "updatedAt", started_at as "startedAt", finished_at as "finishedAt",
  heartbeat_at as "heartbeatAt", current_result_id::text as "currentResultId",
  (select r.provenance from submission_results r where r.id = current_result_id) as provenance`;

/**
 * The submissions table (columns are snake_case; rows come back camelCase). `leaseSeconds`
 * (RUNNER_LEASE_S) is the lease a claim honours unless the call names its own.
 */
export function createSubmissions(sql: Sql, settings: { leaseSeconds: number }) {
  const columns = sql.unsafe(COLUMNS);

  const store: ResultsStore = {
    async claim(id, options = {}) {
      checkId(id);
      const leaseSeconds = options.leaseSeconds ?? settings.leaseSeconds;
      // one statement: the update is fenced on status and lease; when it matches nothing, the same
      // snapshot says whether the row is missing, final or busy (no second query that could race).
      // A RUNNING row is taken over only when its heartbeat is older than the lease (its owner died);
      // the status before the claim comes back too: a failed forced regrade restores it.
      const rows = await bounded(sql, sql<Array<SubmissionRecord & { claimed: boolean; previousStatus: SubmissionStatus }>>`
        with previous as (select id, status, heartbeat_at from submissions where id = ${id} for update),
        claimed as (
          update submissions s set status = 'RUNNING', attempt = s.attempt + 1, started_at = now(), finished_at = null,
            heartbeat_at = now()
          from previous p
          where s.id = p.id and case p.status
            when 'PENDING' then true
            when 'RUNNING' then p.heartbeat_at is null or p.heartbeat_at < clock_timestamp() - make_interval(secs => ${leaseSeconds})
            else ${options.force === true} end
          returning s.id, s.user_id, s.pit_id, s.file_key, s.status, s.attempt, p.status as previous_status)
        select true as claimed, id, user_id as "userId", pit_id as "pitId", file_key as "fileKey", status, attempt,
          previous_status as "previousStatus" from claimed
        union all
        select false, id, user_id, pit_id, file_key, status, attempt, status from submissions
        where id = ${id} and not exists (select 1 from claimed)`);
      const [row] = rows;
      if (!row) return { claimed: false, reason: 'missing' };
      const { claimed, previousStatus, ...submission } = row;
      if (claimed) return { claimed: true, attempt: submission.attempt, submission, previousStatus };
      return { claimed: false, reason: submission.status === 'RUNNING' ? 'busy' : 'final', status: submission.status };
    },

    async publish(id, attempt, result, logsKey, student) {
      checkId(id);
      const { pitId: _pitId, status, outcome, score, provenance, ...feedback } = result;
      const json = (value: unknown) => (value ? sql.json(value as postgres.JSONValue) : null);
      // one transaction: the attempt joins the history, and becomes current only while it owns the row
      return await bounded(sql, sql.begin(async (tx) => {
        const [row] = await tx<Array<{ attempt: number; status: SubmissionStatus; startedAt: Date | null; currentStatus: FinalStatus | null; currentFinishedAt: Date | null }>>`
          select s.attempt, s.status, s.started_at as "startedAt", r.status as "currentStatus", r.finished_at as "currentFinishedAt"
          from submissions s left join submission_results r on r.id = s.current_result_id
          where s.id = ${id} for update of s`;
        // an attempt never claimed is not a finished attempt of this submission
        if (!row || row.attempt < attempt) return false;
        const owns = row.attempt === attempt && row.status === 'RUNNING';
        const [recorded] = await tx<Array<{ id: string }>>`
          insert into submission_results (submission_id, attempt, status, outcome, score, feedback, student_feedback,
            logs_s3_key, error_code, provenance, started_at)
          values (${id}, ${attempt}, ${status}, ${outcome}, ${score}, ${json(feedback)}, ${json(student)},
            ${logsKey}, ${result.error?.code ?? null}, ${json(provenance)}, ${owns ? row.startedAt : null})
          on conflict (submission_id, attempt) do nothing
          returning id::text`;
        if (!owns || !recorded) return false;
        if (status === 'ERROR' && row.currentStatus === 'DONE') {
          // a failure to grade never replaces a grade: recorded beside it, the row is its grade again
          await tx`update submissions set status = 'DONE', finished_at = ${row.currentFinishedAt}, heartbeat_at = null where id = ${id}`;
          return 'beside' as const;
        }
        await tx`
          update submissions set status = ${status}, outcome = ${outcome}, score = ${score},
            feedback = ${json(feedback)}, logs_s3_key = ${logsKey}, student_feedback = ${json(student)},
            error_code = ${result.error?.code ?? null}, finished_at = now(), heartbeat_at = null,
            current_result_id = ${recorded.id}
          where id = ${id}`;
        return true;
      }));
    },

    async release(id, attempt, to = 'PENDING') {
      checkId(id);
      // back to a final status only for a forced regrade: its previous result is still in the row
      const rows = await bounded(sql, sql`
        update submissions set status = ${to}, started_at = null, heartbeat_at = null,
          finished_at = case when ${to} = 'PENDING' then null else coalesce(finished_at, updated_at) end
        where id = ${id} and attempt = ${attempt} and status = 'RUNNING'
        returning id`);
      return rows.length === 1;
    },

    async heartbeat(id, attempt) {
      checkId(id);
      const rows = await bounded(sql, sql`
        update submissions set heartbeat_at = now()
        where id = ${id} and attempt = ${attempt} and status = 'RUNNING'
        returning id`);
      return rows.length === 1;
    },
  };

  return {
    ...store,

    async insert(row: NewSubmission): Promise<SubmissionRow> {
      const id = row.id ?? randomUUID();
      checkId(id);
      const [inserted] = await sql<SubmissionRow[]>`
        insert into submissions (id, user_id, pit_id, file_key, created_at)
        values (${id}, ${row.userId ?? null}, ${row.pitId}, ${row.fileKey}, ${row.createdAt ?? new Date()})
        returning ${columns}`;
      return inserted!;
    },

    async get(id: string): Promise<SubmissionRow | null> {
      checkId(id);
      const [row] = await sql<SubmissionRow[]>`select ${columns} from submissions where id = ${id}`;
      return row ?? null;
    },

    /** Oldest first. Every filter given must match. */
    async select(filter: SubmissionFilter = {}): Promise<SubmissionRow[]> {
      filter.ids?.forEach(checkId);
      const statuses = filter.status === undefined ? undefined : [filter.status].flat();
      const conditions = [
        filter.ids && sql`id = any(${sql.array(filter.ids)}::uuid[])`,
        statuses && sql`status = any(${sql.array(statuses)}::text[])`,
        filter.pitId !== undefined && sql`pit_id = ${filter.pitId}`,
        filter.since && sql`created_at >= ${filter.since}`,
        filter.until && sql`created_at < ${filter.until}`,
        filter.staleAgainst && staleCondition(sql, filter.staleAgainst),
      ].filter((condition): condition is postgres.PendingQuery<postgres.Row[]> => Boolean(condition));
      const where = conditions.reduce((all, condition) => sql`${all} and ${condition}`, sql`true`);
      const limit = filter.limit === undefined ? sql`` : sql`limit ${filter.limit}`;
      return await sql<SubmissionRow[]>`select ${columns} from submissions where ${where} order by created_at, id ${limit}`;
    },

    /** Every finished attempt of a submission, oldest first. */
    async results(id: string): Promise<ResultRow[]> {
      checkId(id);
      return await sql<ResultRow[]>`
        select r.id::text, r.submission_id as "submissionId", r.attempt, r.status, r.outcome, r.score::float8 as score,
          r.feedback, r.logs_s3_key as "logsS3Key", r.error_code as "errorCode", r.provenance, r.pit_hash as "pitHash",
          r.started_at as "startedAt", r.finished_at as "finishedAt", r.id = s.current_result_id as current
        from submission_results r join submissions s on s.id = r.submission_id
        where r.submission_id = ${id} order by r.attempt`;
    },

    /** The PITs of submissions that have a current result. */
    async gradedPitIds(): Promise<string[]> {
      const rows = await sql<Array<{ pitId: string }>>`
        select distinct pit_id as "pitId" from submissions where current_result_id is not null order by 1`;
      return rows.map((row) => row.pitId);
    },

    /**
     * Final rows back to PENDING before they are enqueued again (a RUNNING row is left alone: its
     * claim is live, and a new claim takes it over once its lease has run out). The old result stays until the next
     * publish overwrites it. Returns the ids that were reset.
     */
    async resetToPending(ids: string[]): Promise<string[]> {
      ids.forEach(checkId);
      if (!ids.length) return [];
      const rows = await sql<Array<{ id: string }>>`
        update submissions set status = 'PENDING', started_at = null, finished_at = null
        where id = any(${sql.array(ids)}::uuid[]) and status in ('DONE', 'ERROR')
        returning id`;
      return rows.map((row) => row.id);
    },
  };
}

export type Submissions = ReturnType<typeof createSubmissions>;

/** Current result graded by a PIT hash other than its PIT's entry in `hashes`, or by an unknown one. */
function staleCondition(sql: Sql, hashes: Record<string, string>) {
  const pits = Object.keys(hashes);
  return sql`id in (
    select s.id from submissions s
    join submission_results r on r.id = s.current_result_id
    join unnest(${sql.array(pits)}::text[], ${sql.array(pits.map((pit) => hashes[pit]!))}::text[]) as now (pit_id, pit_hash) on now.pit_id = s.pit_id
    where r.pit_hash is distinct from now.pit_hash)`;
}

function checkId(id: string): void {
  if (!isUuid(id)) throw usageError(`not a submission id (a UUID is expected): ${JSON.stringify(id).slice(0, 80)}`);
}
