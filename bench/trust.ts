/**
 * What the grading-integrity defences cost per graded run: the same sample graded with its PIT as
 * shipped (solution globs, sentinel and runtime harness, immutable instructor files, neutralised log)
 * and with a copy that turns the optional parts off (`solution: ["**"]`, `sentinel: false`),
 * alternating, median of N runs each. Goal: under 5% of a Maven run, under 100 ms on the node PIT.
 * Run as root to include the real sandbox.
 *
 *   node --import tsx bench/trust.ts [runs] [pitId…]
 */
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { repoRoot } from '../test/helpers/cli.js';
import { gradeById } from '../test/helpers/grade.js';
import { zipDirectory } from '../test/helpers/zip.js';

const runs = Number(process.argv[2] ?? 5);
const pitIds = process.argv.length > 3 ? process.argv.slice(3) : ['javascript-node-roman-v1', 'python-pytest-wordstats-v1', 'java-javac-bankaccount-v1', 'java-maven-dummy-dev'];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-trust-'));
await chmod(tmp, 0o711);
const pitsDir = path.join(tmp, 'pits');
await mkdir(pitsDir);
const config = loadConfig({ PITS_DIR: pitsDir, RUNNER_WORK_DIR: path.join(tmp, 'work') });

try {
  console.log(`median of ${runs} graded runs (correct solution), defences on vs off`);
  for (const pitId of pitIds) {
    const pit = JSON.parse(await readFile(path.join(repoRoot, 'pits', `${pitId}.json`), 'utf8'));
    await cp(path.join(repoRoot, 'pits', pitId), path.join(pitsDir, pitId), { recursive: true });
    await writeFile(path.join(pitsDir, `${pitId}.json`), JSON.stringify(pit));
    await writeFile(path.join(pitsDir, `${pitId}-off.json`), JSON.stringify({ ...pit, template: pitId, solution: ['**'], sentinel: false }));
    const zip = path.join(tmp, `${pitId}.zip`);
    await zipDirectory(path.join(repoRoot, 'examples', pitId, 'correct'), zip, 'correct/');
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < runs; i++) {
      for (const [id, times] of [[pitId, on], [`${pitId}-off`, off]] as const) {
        const started = performance.now();
        const { result } = await gradeById({ zipFile: zip }, id, { config, log: silentLogger });
        times.push(performance.now() - started);
        if (result.score !== 100) throw new Error(`${id}: expected 100, got ${result.score} (${result.outcome}: ${result.error?.message ?? ''})`);
      }
    }
    const [a, b] = [median(on), median(off)];
    console.log(`${pitId.padEnd(28)} on ${a.toFixed(0).padStart(6)} ms   off ${b.toFixed(0).padStart(6)} ms   added ${(a - b).toFixed(0).padStart(5)} ms (${(((a - b) / b) * 100).toFixed(1)}%)`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
