import * as z from 'zod';
import { RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { pitIdProblem } from '../ids.js';
import { runSubmission, type SubmissionDeps, type SubmissionOutcome } from './run.js';
import type { ResultsStore } from '../ports.js';

/** A queue message body (the API's): untrusted; unknown fields are ignored. */
const messageSchema = z.object({
  submissionId: z.uuid(),
  fileKey: z
    .string()
    .min(1)
    .max(1024)
    .refine((key) => !key.startsWith('/'), 'must be relative (no leading /)')
    .refine((key) => !key.split(/[/\\]/).includes('..'), 'must not contain ".." segments')
    .refine((key) => !/[\u0000-\u001f\\]/.test(key), 'must not contain control characters or backslashes'),
  userId: z.union([z.string().trim().min(1).max(200), z.number().int()]).transform(String),
  pitId: z.string().refine((id) => !pitIdProblem(id), { error: (issue) => pitIdProblem(String(issue.input)) }),
  createdAt: z.iso.datetime({ offset: true }),
});

export type SubmissionMessage = z.infer<typeof messageSchema>;

/** JSON text → a validated message, or INVALID_MESSAGE naming every bad field. */
export function parseMessage(body: string): SubmissionMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new RunnerError('INVALID_MESSAGE', `invalid queue message: the body is not JSON (${body.length} characters)`);
  }
  const parsed = messageSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw new RunnerError('INVALID_MESSAGE', `invalid queue message: ${problems.join('; ')}`, { details: { problems } });
}

/** Parses a queue message body (INVALID_MESSAGE when malformed) and grades the submission it names. */
export async function processMessageBody(body: string, deps: SubmissionDeps): Promise<SubmissionOutcome> {
  return processMessage(parseMessage(body), deps);
}

/**
 * Grades the submission a queue message names. The row is the source of truth: its PIT and file
 * win over the message's, and a disagreement is logged (the message may be stale or forged).
 */
export async function processMessage(message: SubmissionMessage, deps: SubmissionDeps): Promise<SubmissionOutcome> {
  return runSubmission(message.submissionId, { ...deps, store: warnOnMismatch(deps.store, message, deps.log) });
}

function warnOnMismatch(store: ResultsStore, message: SubmissionMessage, log: Logger): ResultsStore {
  return {
    async claim(id, options) {
      const claim = await store.claim(id, options);
      if (claim.claimed && (claim.submission.pitId !== message.pitId || claim.submission.fileKey !== message.fileKey)) {
        log.warn(
          { submissionId: id, message: { pitId: message.pitId, fileKey: message.fileKey }, row: { pitId: claim.submission.pitId, fileKey: claim.submission.fileKey } },
          'the queue message disagrees with the stored submission: grading what the row says',
        );
      }
      return claim;
    },
    publish: (id, attempt, result, logsKey, student) => store.publish(id, attempt, result, logsKey, student),
    release: (id, attempt, to) => store.release(id, attempt, to),
    heartbeat: (id, attempt) => store.heartbeat(id, attempt),
  };
}
