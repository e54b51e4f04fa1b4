import type { GradeResult, Outcome, Runs, StudentFeedback } from './types.js';

const MAX_MESSAGE_CHARS = 2_000;

/** All a student learns of how the hidden run ended: the runner's own words, naming no file, line or test. */
const HIDDEN_RUN_WORDS: Partial<Record<Outcome, string>> = {
  COMPILE_ERROR: 'your solution does not compile against the hidden tests',
  TIME_LIMIT: 'the hidden tests did not finish within the time limit',
  MEMORY_LIMIT: 'the hidden tests ran out of memory',
  OUTPUT_LIMIT: 'the hidden tests\' run wrote more output than allowed',
  TAMPERED: 'the hidden tests\' results were not trusted',
  UNSCORABLE: 'the hidden tests\' results could not be read',
  NO_TESTS: 'no hidden test ran',
};

/**
 * The student's view of a result: no raw log, messages bounded. With hidden tests, everything but
 * the score comes from the visible run, which never had a hidden file; of the hidden run the student
 * learns at most how many hidden tests there are, how many did not pass, and in the runner's fixed
 * words how it ended (the PIT's `hiddenFeedback`: `counts`, or `none` for nothing).
 */
export function studentFeedback(result: GradeResult): StudentFeedback {
  const ignored = (result.integrity ?? []).filter((note) => note.code === 'FILES_IGNORED').flatMap((note) => note.files ?? []);
  const own: OwnRun = result.runs
    ? ownRun(result, result.runs)
    : { outcome: result.outcome, summary: result.summary, ...(result.notes && { notes: result.notes }), ...(result.error && { error: result.error }) };
  const notes = (own.notes ?? []).map(bound);
  return {
    status: result.status,
    outcome: own.outcome,
    score: result.score,
    summary: own.summary,
    tests: result.tests.filter((test) => !test.hidden).map(({ name, classname, status, message }) => ({
      name, classname, status, ...(message !== undefined && { message: bound(message) }),
    })),
    ...(own.hidden && { hidden: own.hidden }),
    ...(ignored.length && { ignored }),
    ...(notes.length && { notes }),
    ...(own.error && { error: { code: own.error.code, message: bound(own.error.message) } }),
  };
}

type OwnRun = Pick<StudentFeedback, 'outcome' | 'summary' | 'notes' | 'error' | 'hidden'>;

/** What the student sees of a result with hidden tests: the visible run's words, the hidden run's counts. */
function ownRun(result: GradeResult, { visible, hidden, hiddenFeedback }: Runs): OwnRun {
  if (hiddenFeedback === 'none') return { outcome: visible.outcome, summary: visible.summary, ...(visible.notes && { notes: visible.notes }), ...(visible.error && { error: visible.error }) };
  const hiddenTests = result.tests.filter((test) => test.hidden);
  const words = hidden && HIDDEN_RUN_WORDS[hidden.outcome];
  const error = visible.error ?? (words && result.outcome === hidden.outcome ? { code: hidden.outcome, message: words } : undefined);
  const notes = [...(visible.notes ?? []), ...(words && !error?.message.includes(words) ? [words] : [])];
  return {
    outcome: result.outcome,
    summary: result.summary,
    hidden: { total: hiddenTests.length, failed: hiddenTests.filter((test) => test.status !== 'passed').length },
    ...(notes.length && { notes }),
    ...(error && { error }),
  };
}

function bound(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length - MAX_MESSAGE_CHARS} more characters)`;
}
