-- What a student may see of a result (hidden tests counted, not named; no raw log), beside the full
-- result in `feedback`. Rows graded before this migration have none: the platform falls back to
-- `feedback` for them.
alter table submissions add column student_feedback jsonb;
