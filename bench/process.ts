/**
 * What grading costs beyond the tests themselves: `process` on a sample PIT (unpack, template,
 * sandbox, reports, score) against the same test command run by hand on the same unpacked project,
 * median of N runs each. The Maven sample gives the ratio; the node sample, whose tests take well
 * under a second, gives the runner's absolute overhead. Run as root to include the real sandbox.
 *
 *   node --import tsx bench/process.ts [runs]
 */
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { gradeById } from '../test/helpers/grade.js';
import { loadPit } from '../src/pits/load.js';
import { repoRoot } from '../test/helpers/cli.js';
import { zipDirectory } from '../test/helpers/zip.js';
import { median, seconds as fmt, timeIt } from './measure.js';

const runs = Number(process.argv[2] ?? 5);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-process-'));
await chmod(tmp, 0o711);
const config = loadConfig({ RUNNER_WORK_DIR: path.join(tmp, 'work') });

/** The PIT's own commands, no runner: a fresh copy of solution + template each run, as a student would. */
async function byHand(pitId: string): Promise<number[]> {
  const pit = await loadPit(config.pitsDir, pitId);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = path.join(tmp, `hand-${pitId}-${i}`);
    await cp(path.join(repoRoot, 'examples', pitId, 'correct'), dir, { recursive: true });
    if (pit.template) await cp(pit.template, dir, { recursive: true });
    const env = { ...process.env, ...pit.environment, HOME: dir };
    times.push(await timeIt(async () => {
      for (const command of [...pit.setupCommands, pit.testCommand]) {
        await execa('sh', ['-c', command], { cwd: dir, env, stdio: 'ignore' });
      }
    }));
  }
  return times;
}

async function graded(pitId: string): Promise<number[]> {
  const zip = path.join(tmp, `${pitId}.zip`);
  await zipDirectory(path.join(repoRoot, 'examples', pitId, 'correct'), zip, 'correct/');
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(await timeIt(async () => {
      const { result } = await gradeById({ zipFile: zip }, pitId, { config, log: silentLogger });
      if (result.score !== 100) throw new Error(`${pitId}: expected 100, got ${result.score} (${result.outcome})`);
    }));
  }
  return times;
}

try {
  for (const pitId of ['java-maven-dummy-dev', 'javascript-node-roman-v1']) {
    const hand = median(await byHand(pitId));
    const runner = median(await graded(pitId));
    console.log(`${pitId}: by hand ${fmt(hand)}, process ${fmt(runner)}, ratio ${(runner / hand).toFixed(2)}, overhead ${fmt(runner - hand)} (median of ${runs})`);
  }
  console.log(`(${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, sandbox as ${process.getuid?.() === 0 ? 'root: separate uid + namespaces' : 'this user'})`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
