import { HARNESS_REFUSED_EXIT } from './harness.js';
import { isLoadFailure, testId } from './reports.js';
import type { IntegrityNote, Outcome, PitConfig, Summary, TestResult } from './types.js';

/** What the execute step observed; `log` is the capped combined output. */
export interface RunFacts {
  setupFailed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  memoryLimited: boolean;
  outputLimited: boolean;
  log: string;
}

export interface Scored { outcome: Outcome; score: number; summary: Summary; tests: TestResult[]; notes: string[]; integrity: IntegrityNote[]; message?: string }

/** What the runner knows beyond the reports: what it distrusted while reading them, and the run's sentinel. */
export interface Trust {
  integrity: IntegrityNote[];
  sentinel?: { id: string; nonce: string };
  /** The tests came from the harness's verdict channel; `complete`: it sent its completion record. */
  verdict?: { complete: boolean };
  /** Set when the tests came from report files watched from outside without a gap: how many were read, how many files were written in their folders. */
  reports?: { files: number; written: number };
  /** Why the PIT's `reports` cannot find its tool's reports (report-place.ts), if they cannot. */
  reportsMisplaced?: string;
  /** Why the PIT's test command cannot run the sentinel (sentinel.ts's sentinelLeftOut), if it cannot. */
  sentinelLeftOut?: string;

}

const MAX_LISTED = 10;
const MAX_COMPILER_LINES = 5;

/**
 * Grades a run. With `expectedTests`, those ids are the whole set: one not reported counts as
 * failed ("did not run") and any other reported test is ignored, so exiting early, deleting tests
 * or planting a report with fewer or invented tests does not score. Skipped tests count as not
 * passed: a student's code can abort a test to make it skip. A run where only test files that
 * failed to load were reported is a compile error, not a failed run.
 */
export function scoreRun(pit: Pick<PitConfig, 'expectedTests' | 'weights'>, allReported: TestResult[], run: RunFacts, trust: Trust = { integrity: [] }): Scored {
  const notes: string[] = [];
  const integrity: IntegrityNote[] = [...trust.integrity];
  const sentinel = trust.sentinel;
  const reported = sentinel ? allReported.filter((t) => testId(t) !== sentinel.id) : allReported;
  const { tests, ran } = pit.expectedTests?.length
    ? expectedSet(pit.expectedTests, reported, notes)
    : { tests: reported, ran: reported.filter((t) => !isLoadFailure(t)).length };
  const summary = summarize(tests);
  const score = weightedScore(tests, pit.weights);
  const result = (outcome: Outcome, extra: Partial<Scored> = {}): Scored => ({ outcome, score, summary, tests, notes, integrity, ...extra });
  const distrusted = (outcome: Outcome, note: IntegrityNote) => {
    if (!integrity.includes(note)) integrity.push(note);
    return result(outcome, { score: 0, message: note.message });
  };
  // Never a grade: the pass turns it into the PIT's fault (pass.ts), so a student who brings a run here gains nothing.
  const misconfigured = (message: string) => result('PIT_MISCONFIGURED', { score: 0, message });
  const limit = run.timedOut ? 'TIME_LIMIT' : run.memoryLimited ? 'MEMORY_LIMIT' : run.outputLimited ? 'OUTPUT_LIMIT' : undefined;

  // Never scored from a subset of the reports, nor from reports the harness did not write.
  const unreadable = integrity.find((n) => n.code === 'REPORTS_OVER_BUDGET' || n.code === 'REPORT_REJECTED');
  if (unreadable) return distrusted(limit ?? 'UNSCORABLE', unreadable);
  const unsigned = integrity.find((n) => n.code === 'VERDICT_FORGED' || n.code === 'REPORT_REWRITTEN' || n.code === 'HARNESS_REFUSED');
  if (unsigned) return distrusted('TAMPERED', unsigned);
  const refused = sentinel && run.exitCode === HARNESS_REFUSED_EXIT
    ? { code: 'HARNESS_REFUSED' as const, message: `the test harness stopped the run (exit code ${HARNESS_REFUSED_EXIT}): the solution's code changed the test framework` }
    : undefined;
  const forged = refused ?? (sentinel && ran > 0 ? sentinelProblem(allReported, sentinel, run) : undefined);
  if (forged?.code === 'SENTINEL_MISSING' && onlyExpected(pit.expectedTests, reported, trust)) {
    return misconfigured(`the test command never ran the sentinel test ${sentinel!.id}: ${trust.sentinelLeftOut}; let it run the whole test folder, check with \`pit validate\`, then reprocess`);
  }
  if (forged) return distrusted('TAMPERED', forged);
  if (limit) return result(limit);
  if (ran === 0 && !run.setupFailed && trust.reports?.files === 0 && trust.reportsMisplaced) {
    return misconfigured(`no report file was found where the PIT's \`reports\` look, and they look where its build tool never writes: ${trust.reportsMisplaced}; fix reports, check with \`pit validate\`, then reprocess`);
  }
  if (ran === 0 && (run.setupFailed || run.exitCode !== 0)) return result('COMPILE_ERROR', { score: 0, message: compileMessage(run) });
  if (ran === 0) return result('NO_TESTS', { score: 0 });
  if (summary.passed === summary.total && trust.verdict && !trust.verdict.complete) {
    integrity.push({ code: 'HARNESS_UNFINISHED', message: 'every test recorded passed, but the test harness never sent its completion record: not a finished run' });
    return result('FAILED');
  }
  if (summary.passed === summary.total) {
    // Without a sentinel a finished harness whose tests all passed ends with 0 (with one, never: see sentinelProblem).
    if (!sentinel && run.exitCode !== 0) {
      integrity.push({ code: 'HARNESS_UNFINISHED', message: `every test passed, but the test command ended with exit code ${run.exitCode ?? 'none (killed)'}: not a finished run` });
      return result('FAILED');
    }
    return result('PASSED');
  }
  return result('FAILED');
}

/**
 * A finished harness reports the sentinel failed, with the run's nonce, and so never ends with exit
 * code 0: anything else means the reports or the exit were not the harness's.
 */
function sentinelProblem(reported: TestResult[], sentinel: { id: string; nonce: string }, run: RunFacts): IntegrityNote | undefined {
  const found = reported.find((t) => testId(t) === sentinel.id);
  if (!found) return { code: 'SENTINEL_MISSING', message: `the reports list tests but not this run's sentinel test ${sentinel.id}, which every finished run reports: the reports were not written by the test harness` };
  if (found.status !== 'failed' && found.status !== 'error') return { code: 'SENTINEL_PASSED', message: `this run's sentinel test ${sentinel.id}, which always fails, was reported ${found.status}: the results were forged` };
  if (!found.message?.includes(sentinel.nonce)) return { code: 'SENTINEL_PASSED', message: `this run's sentinel test ${sentinel.id} was reported failing, but not with its own failure: the results were forged` };
  if (run.exitCode === 0) return { code: 'HARNESS_UNFINISHED', message: 'the test command ended with exit code 0, which a run whose sentinel test fails cannot do: the harness was ended early (an exit or halt in the solution\'s code?)' };
  return undefined;
}

/**
 * Evidence that a run without its sentinel is the PIT's doing, not a forgery: its command cannot run
 * the sentinel (a fact of the configuration), its reports were read from files written once each (a
 * rewrite is TAMPERED before this), and every test they report is one the PIT expects. A forger who
 * meets all three gains nothing: the result is an ERROR without a score.
 */
function onlyExpected(expected: string[] | undefined, reported: TestResult[], trust: Trust): boolean {
  if (!trust.sentinelLeftOut || !expected?.length || !trust.reports) return false;
  const wanted = new Set(expected);
  return reported.every((t) => wanted.has(testId(t)));
}

function expectedSet(expected: string[], reported: TestResult[], notes: string[]): { tests: TestResult[]; ran: number } {
  const byId = new Map(reported.map((t) => [testId(t), t]));
  const wanted = new Set(expected);
  const unexpected = [...byId.keys()].filter((id) => !wanted.has(id));
  if (unexpected.length) notes.push(`ignored ${unexpected.length} unexpected tests: ${listed(unexpected)}`);
  const tests = expected.map((id) => byId.get(id) ?? didNotRun(id));
  return { tests, ran: expected.filter((id) => byId.has(id)).length };
}

/** 0–100, two decimals: the weight of the tests that passed over the weight of them all (a test weighs 1 unless `weights` says). */
export function weightedScore(tests: TestResult[], weights: Record<string, number> | undefined): number {
  const weight = (t: TestResult) => weights?.[testId(t)] ?? 1;
  const possible = sum(tests.map(weight));
  const earned = sum(tests.filter((t) => t.status === 'passed').map(weight));
  return possible > 0 ? Math.round((earned / possible) * 10_000) / 100 : 0;
}

export function didNotRun(id: string): TestResult {
  const hash = id.indexOf('#');
  return { classname: hash < 0 ? '' : id.slice(0, hash), name: hash < 0 ? id : id.slice(hash + 1), status: 'failed', timeMs: 0, message: 'did not run' };
}

export function summarize(tests: TestResult[]): Summary {
  const count = (status: TestResult['status']) => tests.filter((t) => t.status === status).length;
  return { total: tests.length, passed: count('passed'), failed: count('failed'), errors: count('error'), skipped: count('skipped') };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const listed = (items: string[]) => items.slice(0, MAX_LISTED).join(', ') + (items.length > MAX_LISTED ? ', …' : '');

/** "the build failed" plus where the compiler complained, in a few short lines. */
function compileMessage(run: RunFacts): string {
  const step = run.setupFailed ? 'a setup command failed' : `the build failed (exit code ${run.exitCode ?? 'none: killed'})`;
  const complaints = compilerComplaints(run.log);
  return complaints.length ? `${step} before any test ran:\n${complaints.join('\n')}` : `${step} before any test ran; see the log`;
}

// Absolute paths point into the workspace; students know their files from src/ on (or by name).
const shortPath = (file: string) => (file.startsWith('/') ? file.match(/\/(src\/.*)$/)?.[1] ?? file.slice(file.lastIndexOf('/') + 1) : file);

const javaError = [/^\[ERROR\]\s+(\S+\.java):\[(\d+),\d+\]\s*(.*)$/, /^(\S+\.java):(\d+): error: (.*)$/];  // maven, javac
const javaSymbol = /^(?:\[ERROR\])?\s+(symbol:.*)$/;
const syntaxError = /^((?:Syntax|Indentation|Tab)Error\b.*)$/;                            // python, node
const syntaxLocation = [/File "([^"]+)", line (\d+)/, /^(?:file:\/\/)?(\S+\.[cm]?[jt]sx?):(\d+)$/];
// pytest prefixes its report lines with "E", the TAP reporter with "#"; colours come from some tools
const plain = (line: string) => line.replace(/(?:\x1b|\\x1b)\[[0-9;]*m/g, '').replace(/^\s*(?:E|#)\s+/, '').trimEnd();

/** The first few compiler error lines of a log: javac/maven, Python and node syntax errors. */
export function compilerComplaints(log: string): string[] {
  const lines = log.split(/\r?\n/).map(plain);
  const found: string[] = [];
  lines.forEach((line, index) => {
    const java = javaError.map((pattern) => line.match(pattern)).find(Boolean);
    if (java) {
      const symbol = lines[index + 1]?.match(javaSymbol);
      found.push(`${shortPath(java[1]!)}:${java[2]}: ${java[3]}${symbol ? ` (${symbol[1]!.replace(/\s+/g, ' ')})` : ''}`);
    }
    const syntax = line.trim().match(syntaxError);
    if (syntax) found.push(withLocation(syntax[1]!, lines.slice(Math.max(0, index - 6), index)));
  });
  return [...new Set(found)].slice(0, MAX_COMPILER_LINES).map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
}

function withLocation(error: string, before: string[]): string {
  for (const line of before.reverse()) {
    const m = syntaxLocation.map((pattern) => line.trim().match(pattern)).find(Boolean);
    if (m) return `${shortPath(m[1]!)}:${m[2]}: ${error}`;
  }
  return error;
}
