import { RunnerError } from './errors.js';

/** Submission ids are UUIDs; anything else is refused before it reaches a query or a path. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID_PATTERN.test(value);

/** Where a submission's log lives, relative to the storage root (file or S3 prefix): `logs/<id>/run.log`. */
export function logKeyFor(submissionId: string): string {
  if (!isUuid(submissionId)) throw new RunnerError('INTERNAL', `not a submission id: ${JSON.stringify(submissionId)}`);
  return `logs/${submissionId}/run.log`;
}
