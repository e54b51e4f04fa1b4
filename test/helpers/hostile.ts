import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import type { GradeResult } from '../../src/grading/types.js';
import { silentLogger } from '../../src/log.js';
import { workRoot } from './sandbox-fixture.js';
import { repoRoot } from './cli.js';
import { gradeById } from './grade.js';
import { writeZip, type ZipEntrySpec } from './zip.js';

/**
 * What the hostile suites share: a hostile student starts from a sample's wrong solution, whose honest
 * scores are below, and must end at or below it, or be caught (TAMPERED, score 0).
 */
export const HONEST = { javac: 60, junit: 60, maven: 40, node: 20, pytest: 40 };
export const PIT = {
  javac: 'java-javac-bankaccount-v1', junit: 'java-junit-bankaccount-v1', maven: 'java-maven-dummy-dev', node: 'javascript-node-roman-v1', pytest: 'python-pytest-wordstats-v1',
};
export type Tool = keyof typeof PIT;

// RUNNER_SANDBOX_MODE=uid runs these attacks on the Fargate path; its work folder must be closed above (workRoot).
// The sandbox uids are the environment's, so runs side by side sweep only their own.
export const hostileConfig = () => loadConfig({
  PITS_DIR: path.join(repoRoot, 'pits'), RUNNER_WORK_DIR: path.join(workRoot, 'trust'), RUNNER_SANDBOX_MODE: process.env.RUNNER_SANDBOX_MODE ?? 'auto',
  RUNNER_SANDBOX_UID: process.env.RUNNER_SANDBOX_UID, RUNNER_SANDBOX_GID: process.env.RUNNER_SANDBOX_GID,
});

/** A grader of ZIPs built from entries, with its own scratch folder (open it in `before`, close it in `after`). */
export function hostileGrader() {
  let tmp = '';
  return {
    get tmp() { return tmp; },
    async open() {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'trust-hostile-'));
      await chmod(tmp, 0o711); // the sandbox user must traverse to its workspace
    },
    close: () => rm(tmp, { recursive: true, force: true }),
    async grade(tool: Tool, entries: ZipEntrySpec[]) {
      const zip = path.join(tmp, `${tool}-${Math.random().toString(36).slice(2)}.zip`);
      await writeZip(zip, entries);
      const graded = await gradeById({ zipFile: zip }, PIT[tool], { config: hostileConfig(), log: silentLogger });
      return { ...graded, text: graded.log.toString() };
    },
  };
}

export const wrong = (tool: Tool, file: string) => readFile(path.join(repoRoot, 'examples', PIT[tool], 'wrong', file), 'utf8');

/** The one promise: no more than the honest wrong score, or caught. */
export function noGain(tool: Tool, result: GradeResult, log: string) {
  assert.ok(result.outcome === 'TAMPERED' || result.score <= HONEST[tool], `${tool}: ${result.outcome} ${result.score}\n${log.slice(-3000)}`);
  if (result.outcome === 'TAMPERED') assert.is(result.score, 0);
}

export const codes = (result: GradeResult) => (result.integrity ?? []).map((n) => n.code);

export const javaSolutionFile = (tool: 'javac' | 'junit' | 'maven') => (tool === 'maven' ? 'src/main/java/dummy/Calculator.java' : 'src/main/java/bank/BankAccount.java');

/** The wrong Java solution with a static initializer of the attacker's (and `members` added to the class). */
export async function javaWith(tool: 'javac' | 'junit' | 'maven', init: string, members = ''): Promise<ZipEntrySpec> {
  const file = javaSolutionFile(tool);
  const source = await wrong(tool, file);
  return { name: file, data: source.replace(/(public class \w+ \{)/, `$1\n    static {\n${init}\n    }\n${members}\n`) };
}
