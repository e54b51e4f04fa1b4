import { RunnerError } from './errors.js';

/** Submission ids are UUIDs; anything else is refused before it reaches a query or a path. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID_PATTERN.test(value);

export const PIT_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Why `pitId` is not a PIT id (an identifier, never a path), or undefined when it is one. The one wording for every check. */
export function pitIdProblem(pitId: string): string | undefined {
  if (PIT_ID_PATTERN.test(pitId)) return undefined;
  return `${JSON.stringify(pitId)} is not a PIT id: lowercase letters, digits, '.', '_' or '-', at most 100, starting with a letter or digit`;
}

/**
 * Where one attempt's log lives, relative to the storage root (file or S3 prefix):
 * `logs/<id>/<attempt>/run.log`. Each attempt has its own key, so a stale attempt cannot overwrite the
 * log behind a newer attempt's result; the row's `logs_s3_key` names the one it published.
 */
export function logKeyFor(submissionId: string, attempt: number): string {
  if (!isUuid(submissionId)) throw new RunnerError('INTERNAL', `not a submission id: ${JSON.stringify(submissionId)}`);
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RunnerError('INTERNAL', `not an attempt number: ${attempt}`);
  return `logs/${submissionId}/${attempt}/run.log`;
}
