import { testId } from './reports.js';
import type { GradeResult, PitConfig, StudentFeedback, TestResult } from './types.js';

const MAX_MESSAGE_CHARS = 2_000;

/** `*` in a pattern matches any run of characters; anything else is literal. */
function matcher(patterns: string[]): (id: string) => boolean {
  const regexes = patterns.map((pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (id) => regexes.some((regex) => regex.test(id));
}

/** Marks the tests the PIT's `hiddenTests` patterns name (by `classname#name` id). */
export function markHidden(tests: TestResult[], pit: Pick<PitConfig, 'hiddenTests'>): TestResult[] {
  if (!pit.hiddenTests?.length) return tests;
  const isHidden = matcher(pit.hiddenTests);
  return tests.map((test) => (isHidden(testId(test)) ? { ...test, hidden: true } : test));
}

/**
 * The student's view of a result: hidden tests are counted, never named; no raw log; messages bounded;
 * any line of a note or error that mentions a hidden test (a compiler quoting its source, a "did not run"
 * note) is left out.
 */
export function studentFeedback(result: GradeResult): StudentFeedback {
  const hidden = result.tests.filter((test) => test.hidden);
  const secrets = [...new Set(hidden.flatMap((test) => [test.name, testId(test)]))].filter((text) => text.length > 2);
  const clean = (text: string) => bound(text.split('\n').filter((line) => !secrets.some((secret) => line.includes(secret))).join('\n'));
  const notes = (result.notes ?? []).map(clean).filter(Boolean);
  const ignored = (result.integrity ?? []).filter((note) => note.code === 'FILES_IGNORED').flatMap((note) => note.files ?? []);
  return {
    status: result.status,
    outcome: result.outcome,
    score: result.score,
    summary: result.summary,
    tests: result.tests.filter((test) => !test.hidden).map(({ name, classname, status, message }) => ({
      name, classname, status, ...(message !== undefined && { message: bound(message) }),
    })),
    ...(hidden.length && { hidden: { total: hidden.length, failed: hidden.filter((test) => test.status !== 'passed').length } }),
    ...(ignored.length && { ignored }),
    ...(notes.length && { notes }),
    ...(result.error && { error: { code: result.error.code, message: clean(result.error.message) } }),
  };
}

function bound(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length - MAX_MESSAGE_CHARS} more characters)`;
}
