import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { testId } from '../../src/grading/reports.js';
import type { GradeResult } from '../../src/grading/types.js';
import { repoRoot } from './cli.js';

/**
 * A sample example's golden result: `examples/<pit>/<example>.expected.json`, the fields of a grade that
 * do not vary from run to run (no timings, no messages). `UPDATE_GOLDEN=1` writes them from this run
 * instead of comparing: review the diff before committing it.
 */
export type Golden = Pick<GradeResult, 'status' | 'outcome' | 'score' | 'summary'> & { tests: Array<{ id: string; status: string }> };

export function stableFields(result: Pick<GradeResult, 'status' | 'outcome' | 'score' | 'summary' | 'tests'>): Golden {
  const tests = result.tests.map((test) => ({ id: testId(test), status: test.status })).sort((a, b) => a.id.localeCompare(b.id));
  return { status: result.status, outcome: result.outcome, score: result.score, summary: result.summary, tests };
}

export const goldenFile = (pitId: string, example: string) => path.join(repoRoot, 'examples', pitId, `${example}.expected.json`);

/** Compares a grade with its golden file, or (UPDATE_GOLDEN=1) writes the file. */
export async function assertGolden(pitId: string, example: string, result: Parameters<typeof stableFields>[0]): Promise<void> {
  const actual = stableFields(result);
  const file = goldenFile(pitId, example);
  if (process.env.UPDATE_GOLDEN === '1') return writeFile(file, `${JSON.stringify(actual, null, 2)}\n`);
  const expected = JSON.parse(await readFile(file, 'utf8').catch(() => 'null')) as Golden | null;
  assert.ok(expected, `${path.relative(repoRoot, file)} is missing: UPDATE_GOLDEN=1 npm test -- samples writes it`);
  assert.equal(actual, expected, `${pitId}/${example} differs from its golden file`);
}
