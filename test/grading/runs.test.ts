import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pass } from '../../src/grading/pass.js';
import { combineRuns, idMatcher, passPlans } from '../../src/grading/runs.js';
import type { Scored } from '../../src/grading/score.js';
import type { Outcome, PitConfig, TestResult } from '../../src/grading/types.js';

// How a PIT's runs are planned and their grades combined (the runs themselves: test/grading/hidden-tests.test.ts).
const runs = suite('runs');

const test = (classname: string, name: string, passed: boolean): TestResult => ({ classname, name, status: passed ? 'passed' : 'failed', timeMs: 1 });
const pass = (outcome: Outcome, tests: TestResult[], message?: string): Pass => {
  const passed = tests.filter((t) => t.status === 'passed').length;
  const scored: Scored = { outcome, score: 0, summary: { total: tests.length, passed, failed: tests.length - passed, errors: 0, skipped: 0 }, tests, notes: [], integrity: [], ...(message && { message }) };
  return { scored, run: { setupFailed: false, exitCode: 1, timedOut: outcome === 'TIME_LIMIT', memoryLimited: false, outputLimited: false, log: '' }, dropped: [], prepareMs: 1, executeMs: 1, scoreMs: 1 };
};
const pit = { hiddenTests: ['Secret#*'], hiddenFiles: ['SecretTest.java'], expectedTests: ['Calc#adds', 'Secret#edge', 'Secret#zero'], weights: { 'Secret#edge': 3 }, hiddenFeedback: 'counts' } as Partial<PitConfig> as PitConfig;
const plans = passPlans(pit);
const visible = pass('PASSED', [test('Calc', 'adds', true)]);

runs('id patterns: * matches any run of characters, anything else is literal', () => {
  const isHidden = idMatcher(['bank.Secret*#*', 'a.b#c']);
  assert.ok(isHidden('bank.SecretEdgeTest#x'));
  assert.not.ok(isHidden('bank.BankAccountTest#x'));
  assert.not.ok(isHidden('aXb#c'));
});

runs('a PIT without hidden files has one run of everything; with them, the expected tests split between the runs', () => {
  assert.is(passPlans({ expectedTests: ['A#b'], hiddenFeedback: 'counts' } as Partial<PitConfig> as PitConfig).hidden, undefined);
  assert.equal(plans.visible.leaveOut, ['SecretTest.java']);
  assert.equal(plans.visible.expectedTests, ['Calc#adds']);
  assert.equal(plans.hidden?.expectedTests, ['Secret#edge', 'Secret#zero']);
  assert.ok(plans.hidden?.owns(test('Secret', 'edge', true)));
  assert.not.ok(plans.visible.owns(test('Secret', 'edge', true)));
});

runs('the score counts both runs with their weights; the worse outcome wins', () => {
  const grade = combineRuns(pit, plans.hidden!, visible, pass('FAILED', [test('Secret', 'edge', false), test('Secret', 'zero', true)]));
  assert.is(grade.score, 40); // (1 + 1) of (1 + 3 + 1)
  assert.is(grade.outcome, 'FAILED');
  assert.equal(grade.tests.map((t) => Boolean(t.hidden)), [false, true, true]);
  assert.equal(grade.summary, { total: 3, passed: 2, failed: 1, errors: 0, skipped: 0 });
});

runs('a hidden run not trusted scores 0; its words are labelled for instructors and kept in its own record', () => {
  const grade = combineRuns(pit, plans.hidden!, visible, pass('TAMPERED', [test('Secret', 'edge', true)], 'SecretTest said so'));
  assert.is(grade.score, 0);
  assert.is(grade.outcome, 'TAMPERED');
  assert.is(grade.error?.message, 'hidden run: SecretTest said so');
  assert.is(grade.runs?.hidden?.error?.message, 'SecretTest said so');
  assert.is(grade.runs?.visible.error, undefined);
});

runs('a hidden run that did not happen counts its expected tests as not run', () => {
  const grade = combineRuns(pit, plans.hidden!, pass('COMPILE_ERROR', [test('Calc', 'adds', false)], 'does not compile'), undefined);
  assert.is(grade.outcome, 'COMPILE_ERROR');
  assert.equal(grade.tests.filter((t) => t.hidden).map((t) => [t.name, t.message]), [['edge', 'did not run'], ['zero', 'did not run']]);
  assert.is(grade.runs?.hidden, undefined);
});

runs.run();
