-- One row per student submission; the runner's source of truth. Column names are snake_case
-- (the repository in src/db/submissions.ts maps them to camelCase fields).
create table submissions (
  id          uuid primary key,
  user_id     text,
  pit_id      text not null,
  file_key    text not null,
  status      text not null default 'PENDING'
              constraint submissions_status_check check (status in ('PENDING', 'RUNNING', 'DONE', 'ERROR')),
  outcome     text,
  score       numeric(5,2) constraint submissions_score_check check (score between 0 and 100),
  feedback    jsonb,
  logs_s3_key text,
  attempt     int not null default 0,
  error_code  text,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  started_at  timestamptz,
  finished_at timestamptz
);

-- what `reprocess` selects by
create index submissions_status_idx on submissions (status);
create index submissions_pit_id_idx on submissions (pit_id);
create index submissions_created_at_idx on submissions (created_at);

create function submissions_touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger submissions_touch_updated_at
  before update on submissions
  for each row execute function submissions_touch_updated_at();
