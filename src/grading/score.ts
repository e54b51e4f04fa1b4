import { isLoadFailure, testId } from './reports.js';
import type { Outcome, PitConfig, Summary, TestResult } from './types.js';

/** What the execute step observed; `log` is the capped combined output. */
export interface RunFacts {
  setupFailed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  memoryLimited: boolean;
  outputLimited: boolean;
  log: string;
}

export interface Scored { outcome: Outcome; score: number; summary: Summary; tests: TestResult[]; notes: string[]; message?: string }

const MAX_LISTED = 10;
const MAX_COMPILER_LINES = 5;

/**
 * Grades a run. With `expectedTests`, those ids are the whole set: one not reported counts as
 * failed ("did not run") and any other reported test is ignored, so exiting early, deleting tests
 * or planting a report with fewer or invented tests does not score. Skipped tests count as not
 * passed: a student's code can abort a test to make it skip. A run where only test files that
 * failed to load were reported is a compile error, not a failed run.
 */
export function scoreRun(pit: Pick<PitConfig, 'expectedTests' | 'weights'>, reported: TestResult[], run: RunFacts): Scored {
  const notes: string[] = [];
  const { tests, ran } = pit.expectedTests?.length
    ? expectedSet(pit.expectedTests, reported, notes)
    : { tests: reported, ran: reported.filter((t) => !isLoadFailure(t)).length };
  const summary = summarize(tests);
  const weight = (t: TestResult) => pit.weights?.[testId(t)] ?? 1;
  const possible = sum(tests.map(weight));
  const earned = sum(tests.filter((t) => t.status === 'passed').map(weight));
  const score = possible > 0 ? Math.round((earned / possible) * 10_000) / 100 : 0;
  const result = (outcome: Outcome, extra: Partial<Scored> = {}): Scored => ({ outcome, score, summary, tests, notes, ...extra });

  if (run.timedOut) return result('TIME_LIMIT');
  if (run.memoryLimited) return result('MEMORY_LIMIT');
  if (run.outputLimited) return result('OUTPUT_LIMIT');
  if (ran === 0 && (run.setupFailed || run.exitCode !== 0)) return result('COMPILE_ERROR', { score: 0, message: compileMessage(run) });
  if (ran === 0) return result('NO_TESTS', { score: 0 });
  if (summary.passed === summary.total) {
    if (run.exitCode !== 0) notes.push(`every test passed, but the test command ended with exit code ${run.exitCode ?? 'none (killed)'}`);
    return result('PASSED');
  }
  return result('FAILED');
}

function expectedSet(expected: string[], reported: TestResult[], notes: string[]): { tests: TestResult[]; ran: number } {
  const byId = new Map(reported.map((t) => [testId(t), t]));
  const wanted = new Set(expected);
  const unexpected = [...byId.keys()].filter((id) => !wanted.has(id));
  if (unexpected.length) notes.push(`ignored ${unexpected.length} unexpected tests: ${listed(unexpected)}`);
  const tests = expected.map((id) => byId.get(id) ?? didNotRun(id));
  return { tests, ran: expected.filter((id) => byId.has(id)).length };
}

function didNotRun(id: string): TestResult {
  const hash = id.indexOf('#');
  return { classname: hash < 0 ? '' : id.slice(0, hash), name: hash < 0 ? id : id.slice(hash + 1), status: 'failed', timeMs: 0, message: 'did not run' };
}

function summarize(tests: TestResult[]): Summary {
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
const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, '').replace(/^\s*(?:E|#)\s+/, '').trimEnd();

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
