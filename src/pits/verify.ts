import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { usageError } from '../errors.js';
import type { GradeDeps, Graded, SubmissionSource } from '../grading/pipeline.js';
import { pitHash } from '../grading/pit-hash.js';
import { testId } from '../grading/reports.js';
import type { GradeResult, PitConfig } from '../grading/types.js';
import type { Logger } from '../log.js';
import type { Sandbox } from '../sandbox/index.js';
import { loadPit, parsePitFile } from './load.js';

/** The pipeline's entry point (`gradeSubmission`), passed in so tests can stand in for it. */
export type GradeFn = (source: SubmissionSource, pit: PitConfig, deps: GradeDeps) => Promise<Graded>;

export interface VerifyDeps { config: Config; log: Logger; grade: GradeFn; signal?: AbortSignal; sandbox: Sandbox }

export interface Verification {
  pitId: string;
  configFile: string;
  ok: boolean;
  problems: string[];
  testIds: string[];
  durationMs: number;
  /** True when expectedTests and expectedDurationMs were written to the config. */
  recorded: boolean;
  /** The PIT's content hash as it stands after verify: what results graded by this version will name. */
  pitHash: string;
  result: GradeResult;
  log: Buffer;
}

/**
 * Grades the reference solution through the real pipeline. Anything below 100 fails; otherwise the
 * sorted test ids and the measured duration are written to the config (unless `check`).
 */
export async function verifyPit(options: { pitId: string; solution: string; check: boolean }, deps: VerifyDeps): Promise<Verification> {
  const { pitId } = options;
  const pit = await loadPit(deps.config.pitsDir, pitId);
  const kind = await stat(options.solution).catch(() => undefined);
  if (!kind) throw usageError(`pit verify: no solution at ${options.solution}`);
  const source = kind.isDirectory() ? { dir: path.resolve(options.solution) } : { zipFile: path.resolve(options.solution) };

  const raw = await readFile(pit.configFile, 'utf8');
  // Recorded expectations must not shape the run that re-records them (a new test would be ignored as unexpected).
  const { expectedTests: _tests, weights: _weights, ...withoutExpectations } = pit;
  const { result, log } = await deps.grade(source, withoutExpectations, { config: deps.config, log: deps.log, sandbox: deps.sandbox, ...(deps.signal && { signal: deps.signal }) });
  const testIds = [...new Set(result.tests.map(testId))].sort();
  const durationMs = Math.max(1, result.timings.executeMs);
  const problems = [...gradeProblems(result), ...hiddenRunProblems(result)];
  if (options.check && !pit.expectedTests) problems.push('no expectedTests recorded yet: run `pit verify` without --check');
  if (options.check && pit.expectedTests) {
    const ran = new Set(testIds);
    const expected = new Set(pit.expectedTests);
    for (const id of pit.expectedTests) if (!ran.has(id)) problems.push(`expected test ${id} did not run`);
    for (const id of testIds) if (!expected.has(id)) problems.push(`test ${id} is not in expectedTests; run verify without --check to record it`);
  }
  const ok = problems.length === 0;
  if (ok && !options.check) await recordExpectations(pit.configFile, raw, testIds, durationMs);
  // recording rewrites the config, so the hash results will name is taken after it
  const hash = await pitHash(pit);
  deps.log.info({ pitId, ok, tests: testIds.length, durationMs, score: result.score, pitHash: hash }, 'PIT verified');
  return { pitId, configFile: pit.configFile, ok, problems, testIds, durationMs, recorded: ok && !options.check, pitHash: hash, result, log };
}

function gradeProblems(result: GradeResult): string[] {
  if (result.status !== 'DONE') return [`the solution could not be graded: ${result.error?.message ?? result.outcome}`];
  if (result.tests.length === 0) return [`no tests ran (${result.outcome}${result.error ? `: ${result.error.message}` : ''})`];
  if (result.score >= 100) return [];
  const failing = result.tests.filter((t) => t.status !== 'passed');
  return [
    `the solution scores ${result.score}, not 100 (${result.outcome})`,
    ...failing.map((t) => `${t.status}: ${testId(t)}${t.message ? ` — ${t.message.split('\n')[0]}` : ''}`),
  ];
}

/** Tests on the wrong side of the line between the runs: a hidden one in a visible file, or one no pattern names in a hidden file. */
function hiddenRunProblems({ runs, tests }: GradeResult): string[] {
  if (!runs) return [];
  const visible = new Set(tests.filter((t) => !t.hidden).map(testId));
  return [
    ...(runs.visible.dropped ?? []).map((id) => `hiddenTests names ${id}, which ran in the visible run: add its file to hiddenFiles or narrow the pattern`),
    ...(runs.hidden?.dropped ?? []).filter((id) => !visible.has(id)).map((id) => `test ${id} ran only in the hidden run, but no hiddenTests pattern names it: add one`),
  ];
}

/** Keeps every other field where it was and the file's 2-space formatting; validated before it replaces the file. */
async function recordExpectations(configFile: string, raw: string, testIds: string[], durationMs: number): Promise<void> {
  const json = JSON.parse(raw) as Record<string, unknown>;
  json.expectedTests = testIds;
  json.expectedDurationMs = durationMs;
  const text = `${JSON.stringify(json, null, 2)}\n`;
  parsePitFile(text, configFile);
  const temporary = `${configFile}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, configFile);
}
