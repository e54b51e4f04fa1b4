/**
 * What the runtime harnesses of pytest and node cost, median of N runs each:
 * - by hand, no sandbox: each sample's test command on its correct example, bare and with its harness
 *   (the environment the runner gives it, the key on fd 7, fd 8 drained), interleaved;
 * - graded in this process (the pipeline, real sandbox): the execute step and the whole grading. Run this
 *   part in two checkouts (before and after a change) with the same arguments to compare.
 *
 *   node --import tsx bench/harness.ts [runs]
 */
import { spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { repoRoot } from '../test/helpers/cli.js';
import { gradeById } from '../test/helpers/grade.js';
import { harnessDir, nodeHarnessEnv, pytestHarnessEnv } from '../src/grading/harness.js';
import { loadPit } from '../src/pits/load.js';
import { interleaved, median } from './measure.js';

const runs = Number(process.argv[2] ?? 7);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-harness-'));
await chmod(tmp, 0o711);
const config = loadConfig({ RUNNER_WORK_DIR: path.join(tmp, 'work') });
const samples = ['python-pytest-wordstats-v1', 'javascript-node-roman-v1'];
const times = new Map(samples.map((id) => [id, { execute: [] as number[], total: [] as number[] }]));

/** The test command once, in `cwd`, with `env` added; with `key`, the key on fd 7 and fd 8 read to its end. */
function run(command: string, cwd: string, env: Record<string, string>, key?: Buffer): Promise<number> {
  const started = performance.now();
  const stdio = key ? ['ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe', 'pipe'] as const : ['ignore', 'ignore', 'ignore'] as const;
  const child = spawn('/bin/sh', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: [...stdio] });
  if (key) {
    const fds = child.stdio as unknown as Array<NodeJS.ReadWriteStream | null>;
    fds[7]!.end(key);
    fds[8]!.resume();
  }
  return new Promise((resolve) => child.on('close', () => resolve(performance.now() - started)));
}

async function byHand(pitId: string) {
  const pit = await loadPit(config.pitsDir, pitId);
  const project = path.join(tmp, `by-hand-${pitId}`);
  await cp(pit.template!, project, { recursive: true });
  await cp(path.join(repoRoot, 'examples', pitId, 'correct'), project, { recursive: true });
  const [home, temp] = [path.join(tmp, 'home'), path.join(tmp, 'tmp')];
  await Promise.all([mkdir(home, { recursive: true }), mkdir(temp, { recursive: true })]);
  const folders = { project: await realpath(project), home, tmp: temp, harness: await realpath(harnessDir()) };
  const env = pit.buildTool === 'pytest'
    ? pytestHarnessEnv(folders, [path.join(folders.project, 'wordstats.py')], pit.environment)
    : nodeHarnessEnv(folders, pit.testCommand, pit.environment);
  const setup = pit.setupCommands.join(' && ');
  const command = setup ? `${setup} && ${pit.testCommand}` : pit.testCommand;
  const { a, b, diff } = await interleaved(runs, () => run(command, project, pit.environment), () => run(command, project, env, Buffer.alloc(32, 7)));
  console.log(`${pitId} by hand: bare ${a.toFixed(0)} ms, with its harness ${b.toFixed(0)} ms (median of the pairs' differences ${(-diff).toFixed(0)} ms)`);
}

try {
  for (const pitId of samples) await byHand(pitId);
  for (let i = 0; i <= runs; i++) {
    for (const pitId of samples) {
      const { result, log } = await gradeById({ dir: path.join(repoRoot, 'examples', pitId, 'correct') }, pitId, { config, log: silentLogger });
      if (result.outcome !== 'PASSED') throw new Error(`${pitId}: ${result.outcome} ${result.score}\n${log.toString().slice(-1500)}`);
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
