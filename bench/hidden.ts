/**
 * What hidden tests cost: the junit, pytest and node samples graded in this process (the real sandbox, one
 * per process as the runtime holds it), each as shipped and with a generated hidden test file of two tests
 * (so a second sandboxed run), interleaved, correct solutions. Prints the medians, the difference and the ratio,
 * and how the hidden variant's time splits between its two runs.
 *
 *   node --import tsx bench/hidden.ts [runs]
 */
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { gradeSubmission } from '../src/grading/pipeline.js';
import { sandboxFor } from '../test/helpers/sandbox.js';
import type { GradeResult } from '../src/grading/types.js';
import { silentLogger } from '../src/log.js';
import { loadPit } from '../src/pits/load.js';

import { repoRoot } from '../test/helpers/cli.js';
import { addHiddenPit, type HiddenFile } from '../test/helpers/hidden-pits.js';
import { interleaved, median, seconds } from './measure.js';

const runs = Number(process.argv[2] ?? 5);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-hidden-'));
await chmod(tmp, 0o711);
const pitsDir = path.join(tmp, 'pits');
const config = loadConfig({ ...process.env, PITS_DIR: pitsDir, RUNNER_WORK_DIR: process.env.RUNNER_WORK_DIR ?? path.join(tmp, 'work') });
const sandbox = sandboxFor(config);

// Two tests each that the samples' correct solutions pass.
const samples: HiddenFile[] = [
  {
    pit: 'java-junit-bankaccount-v1',
    file: 'src/test/java/bank/EdgeCasesTest.java',
    source: 'package bank;\n\nimport static org.junit.jupiter.api.Assertions.assertEquals;\n\nimport org.junit.jupiter.api.Test;\n\nclass EdgeCasesTest {\n'
      + '    @Test\n    void emptiesTheAccount() { BankAccount a = new BankAccount(5); a.withdraw(5); assertEquals(0, a.balance()); }\n\n'
      + '    @Test\n    void opensEmpty() { assertEquals(0, new BankAccount(0).balance()); }\n}\n',
    hiddenTests: ['bank.EdgeCasesTest#*'],
    ids: ['bank.EdgeCasesTest#emptiesTheAccount', 'bank.EdgeCasesTest#opensEmpty'],
  },
  {
    pit: 'python-pytest-wordstats-v1',
    file: 'tests/test_edge_cases.py',
    source: 'from wordstats import longest_word, word_count\n\n\ndef test_two_words():\n    assert word_count("a b") == 2\n\n\ndef test_longest_of_two():\n    assert longest_word("ab abc") == "abc"\n',
    hiddenTests: ['tests.test_edge_cases#*'],
    ids: ['tests.test_edge_cases#test_two_words', 'tests.test_edge_cases#test_longest_of_two'],
  },
  {
    pit: 'javascript-node-roman-v1',
    file: 'tests/edge.test.mjs',
    source: "import { describe, test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { fromRoman, toRoman } from '../roman.mjs';\n\n"
      + "describe('edge cases', () => {\n  test('writes 3999', () => assert.equal(toRoman(3999), 'MMMCMXCIX'));\n  test('reads MCM', () => assert.equal(fromRoman('MCM'), 1900));\n});\n",
    hiddenTests: ['edge cases#*'],
    ids: ['edge cases#writes 3999', 'edge cases#reads MCM'],
  },
];

try {
  console.log(`hidden tests: the sample as shipped (one run) against the sample with a hidden test file (two runs), correct solutions, median of ${runs} interleaved`);
  for (const sample of samples) {
    const plainId = `${sample.pit}-plain`;
    await cp(path.join(repoRoot, 'pits', sample.pit), path.join(pitsDir, plainId), { recursive: true });
    await cp(path.join(repoRoot, 'pits', `${sample.pit}.json`), path.join(pitsDir, `${plainId}.json`));
    await addHiddenPit(pitsDir, sample, `${sample.pit}-hidden`);
    const solution = { dir: path.join(repoRoot, 'examples', sample.pit, 'correct') };
    const [plain, hidden] = await Promise.all([loadPit(pitsDir, plainId), loadPit(pitsDir, `${sample.pit}-hidden`)]);
    const results: GradeResult[] = [];
    const grade = (pit: typeof plain) => async () => {
      const started = performance.now();
      const { result } = await gradeSubmission(solution, pit, { config, log: silentLogger, sandbox });
      if (result.score !== 100) throw new Error(`${pit.pitId} scored ${result.score} (${result.outcome}): the bench needs a correct solution`);
      if (pit === hidden) results.push(result);
      return performance.now() - started;
    };
    const r = await interleaved(runs, grade(hidden), grade(plain));
    const split = (part: 'visible' | 'hidden') => seconds(median(results.map((result) => result.runs?.[part]?.executeMs ?? 0)));
    console.log(`${sample.pit}: one run ${seconds(r.b)}, two runs ${seconds(r.a)}: +${seconds(r.diff)} (×${r.ratio.toFixed(2)}); the two runs' commands: visible ${split('visible')}, hidden ${split('hidden')}`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
