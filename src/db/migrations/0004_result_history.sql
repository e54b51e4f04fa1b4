-- Every finished attempt, kept: a regrade adds a row here and never loses the grade before it. The
-- submission row holds the current result (and points at it); an ERROR never replaces a DONE grade.
create table submission_results (
  id               bigint generated always as identity primary key,
  submission_id    uuid not null references submissions (id) on delete cascade,
  attempt          int not null,
  status           text not null constraint submission_results_status_check check (status in ('DONE', 'ERROR')),
  outcome          text,
  score            numeric(5,2) constraint submission_results_score_check check (score between 0 and 100),
  feedback         jsonb,
  student_feedback jsonb,
  logs_s3_key      text,
  error_code       text,
  -- what produced it (PIT hash, runner build, toolchain, sandbox); null: graded before it was recorded
  provenance       jsonb,
  pit_hash         text generated always as (provenance->>'pitHash') stored,
  started_at       timestamptz,
  finished_at      timestamptz not null default now(),
  constraint submission_results_attempt_key unique (submission_id, attempt)
);

-- append-only: a result, once recorded, is never changed (deleting its submission deletes its history)
create function submission_results_append_only() returns trigger
language plpgsql as $$
begin
  raise exception 'submission_results is append-only';
end
$$;

create trigger submission_results_append_only
  before update on submission_results
  for each row execute function submission_results_append_only();

alter table submissions add column current_result_id bigint references submission_results (id);

-- The results graded before this migration become the first of their history, "provenance unknown".
-- A row reset to PENDING for a regrade still holds its last result.
insert into submission_results (submission_id, attempt, status, outcome, score, feedback, student_feedback,
  logs_s3_key, error_code, provenance, started_at, finished_at)
select id, attempt,
  case when status in ('DONE', 'ERROR') then status
       when outcome in ('INVALID_SUBMISSION', 'PIT_UNAVAILABLE', 'INTERNAL_ERROR') then 'ERROR' else 'DONE' end,
  outcome, score, feedback, student_feedback, logs_s3_key, error_code, null, started_at, coalesce(finished_at, updated_at)
from submissions
where status in ('DONE', 'ERROR') or outcome is not null;

alter table submissions disable trigger submissions_touch_updated_at; -- a pointer added is not an update
update submissions s set current_result_id = r.id
from submission_results r where r.submission_id = s.id;
alter table submissions enable trigger submissions_touch_updated_at;
