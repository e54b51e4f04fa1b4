import type { Pass, PassPlan } from './pass.js';
import { testId } from './reports.js';
import { didNotRun, summarize, weightedScore, type Scored } from './score.js';
import type { GradeResult, IntegrityNote, Outcome, PitConfig, RunRecord, TestResult } from './types.js';

/** A grade before the pipeline adds its timings, log size and PIT id. */
export type Grade = Omit<GradeResult, 'timings' | 'logBytes' | 'logTruncated' | 'pitId'>;

/** `*` in a pattern matches any run of characters; anything else is literal. */
export function idMatcher(patterns: string[]): (id: string) => boolean {
  const regexes = patterns.map((pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (id) => regexes.some((regex) => regex.test(id));
}

/**
 * The runs a submission gets. Without hidden tests, one run of the whole template. With them, first
 * the visible run, whose workspace never holds a hidden file, then the hidden run of the whole
 * template (its tests may use the visible files' helpers, and a test command may name visible files),
 * which scores only the hidden tests.
 */
export function passPlans(pit: PitConfig): { visible: PassPlan; hidden?: PassPlan } {
  const expected = pit.expectedTests;
  if (!pit.hiddenFiles?.length || !pit.hiddenTests?.length) return { visible: { leaveOut: [], owns: () => true, ...(expected && { expectedTests: expected }) } };
  const isHidden = idMatcher(pit.hiddenTests);
  return {
    visible: { leaveOut: pit.hiddenFiles, owns: (test) => !isHidden(testId(test)), ...(expected && { expectedTests: expected.filter((id) => !isHidden(id)) }) },
    hidden: { leaveOut: [], owns: (test) => isHidden(testId(test)), ...(expected && { expectedTests: expected.filter(isHidden) }) },
  };
}

/** After a visible run that did not compile or was not trusted, the hidden run could not change the grade: it is not run. */
export const hiddenRunNeeded = (visible: Scored) => !['COMPILE_ERROR', 'TAMPERED', 'UNSCORABLE'].includes(visible.outcome);

/** The grade of a PIT's only run. */
export function gradeOfRun({ scored, run }: Pass): Grade {
  return {
    status: 'DONE',
    outcome: scored.outcome,
    score: scored.score,
    summary: scored.summary,
    tests: scored.tests,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    ...(scored.integrity.length ? { integrity: scored.integrity } : {}),
    ...(scored.notes.length ? { notes: scored.notes } : {}),
    ...(scored.message ? { error: { code: scored.outcome, message: scored.message } } : {}),
  };
}

// The worse of two runs' outcomes is the submission's: the first of these.
const SEVERITY: Outcome[] = ['TAMPERED', 'UNSCORABLE', 'TIME_LIMIT', 'MEMORY_LIMIT', 'OUTPUT_LIMIT', 'COMPILE_ERROR', 'NO_TESTS', 'FAILED', 'PASSED'];
const worse = (a: Outcome, b: Outcome) => (SEVERITY.indexOf(a) <= SEVERITY.indexOf(b) ? a : b);

/**
 * Both runs in one grade: every test (the hidden run's marked hidden; when it did not run, its expected
 * tests as not run), one score over them all (0 if either run was not trusted), the worse outcome. The
 * instructor's fields label the hidden run's words; `runs` keeps each run as it ended, and the student's
 * view is derived from `runs.visible` alone (feedback.ts).
 */
export function combineRuns(pit: Pick<PitConfig, 'weights' | 'hiddenFeedback'>, plan: PassPlan, visible: Pass, hidden: Pass | undefined): Grade {
  const v = visible.scored;
  const h = hidden?.scored;
  const hiddenTests: TestResult[] = (h ? h.tests : (plan.expectedTests ?? []).map(didNotRun)).map((test) => ({ ...test, hidden: true }));
  const tests = [...v.tests, ...hiddenTests];
  const outcome = h ? worse(v.outcome, h.outcome) : v.outcome;
  const distrusted = outcome === 'TAMPERED' || outcome === 'UNSCORABLE';
  const label = (text: string) => `hidden run: ${text}`;
  const integrity: IntegrityNote[] = [...v.integrity, ...(h?.integrity ?? []).map((note) => ({ ...note, message: label(note.message) }))];
  const notes = [...v.notes, ...(h?.notes ?? []).map(label)];
  const error = v.message ? { code: v.outcome, message: v.message } : h?.message ? { code: h.outcome, message: label(h.message) } : undefined;
  return {
    status: 'DONE',
    outcome,
    score: distrusted ? 0 : weightedScore(tests, pit.weights),
    summary: summarize(tests),
    tests,
    exitCode: visible.run.exitCode,
    timedOut: visible.run.timedOut || Boolean(hidden?.run.timedOut),
    ...(integrity.length ? { integrity } : {}),
    ...(notes.length ? { notes } : {}),
    ...(error ? { error } : {}),
    runs: { visible: recordOf(visible), ...(hidden && { hidden: recordOf(hidden) }), hiddenFeedback: pit.hiddenFeedback },
  };
}

function recordOf({ scored, run, dropped, executeMs }: Pass): RunRecord {
  return {
    outcome: scored.outcome,
    score: scored.score,
    summary: scored.summary,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    executeMs,
    ...(scored.notes.length ? { notes: scored.notes } : {}),
    ...(scored.integrity.length ? { integrity: scored.integrity } : {}),
    ...(scored.message ? { error: { code: scored.outcome, message: scored.message } } : {}),
    ...(dropped.length ? { dropped } : {}),
  };
}
