/**
 * What the runtime harnesses of pytest and node cost: the pytest and node samples' correct examples graded
 * in this process (the pipeline, real sandbox), median of N runs each, interleaved; printed per sample as
 * the execute step (the sandboxed test command with its harness) and the whole grading. Run it in two
 * checkouts (before and after a change) with the same arguments to compare.
 *
 *   node --import tsx bench/harness.ts [runs]
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { repoRoot } from '../test/helpers/cli.js';
import { gradeById } from '../test/helpers/grade.js';
import { sandboxFor } from '../test/helpers/sandbox.js';
import { median } from './measure.js';

const runs = Number(process.argv[2] ?? 7);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-harness-'));
await chmod(tmp, 0o711);
const config = loadConfig({ RUNNER_WORK_DIR: path.join(tmp, 'work') });
const sandbox = sandboxFor(config);
const samples = ['python-pytest-wordstats-v1', 'javascript-node-roman-v1'];
const times = new Map(samples.map((id) => [id, { execute: [] as number[], total: [] as number[] }]));

try {
  for (let i = 0; i <= runs; i++) {
    for (const pitId of samples) {
      const { result } = await gradeById({ dir: path.join(repoRoot, 'examples', pitId, 'correct') }, pitId, { config, log: silentLogger, sandbox });
      if (result.outcome !== 'PASSED') throw new Error(`${pitId}: ${result.outcome} ${result.score}`);
      if (i === 0) continue; // warm-up
      times.get(pitId)!.execute.push(result.timings.executeMs);
      times.get(pitId)!.total.push(result.timings.totalMs);
    }
  }
  console.log(`median of ${runs}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const [pitId, { execute, total }] of times) console.log(`${pitId}: execute ${median(execute)} ms, grading ${median(total)} ms`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
