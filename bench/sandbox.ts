/**
 * What the sandbox adds to every command: one whole submission (prepare, run `true`, cleanup) per
 * mode, N times in a row on one uid, and the phases of a namespaces run; then what the system-call
 * filter adds to a run's start and to each system call, uid mode's walk of the shared folders and
 * the scan for files held open without a name.
 * Run as root.
 *
 *   node --import tsx bench/sandbox.ts [count]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { CappedLog } from '../src/grading/capped-log.js';
import { silentLogger } from '../src/log.js';
import { FILTER_LAUNCHER } from '../src/sandbox/filter.js';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { SHARED_DISK_DIRS, SHARED_MEMORY_DIRS, sharedUsageOf, unnamedFilesOf } from '../src/sandbox/shared-tmp.js';

const count = Number(process.argv[2] ?? 30);
const limits = { processes: 64, memoryMb: 256, fileSizeMb: 10, openFiles: 256, cpuSeconds: 10 };
const root = path.resolve(`.bench-sandbox-${process.pid}`);
await mkdir(root, { recursive: true, mode: 0o711 });

for (const mode of ['namespaces', 'uid'] as const) {
  const sandbox = createSandbox({ uid: 10190, gid: 10190, poolSize: 1, workspaceMaxBytes: 64 * 1024 * 1024, mode }, silentLogger);
  const phases = { prepare: 0, run: 0, cleanup: 0 };
  for (let i = 0; i < count; i++) {
    const dir = await mkdtemp(path.join(root, 'ws-'));
    let t = performance.now();
    await sandbox.prepare(dir);
    phases.prepare += performance.now() - t;
    t = performance.now();
    const result = await sandbox.run({ command: 'true', shell: false, cwd: dir, env: {}, timeoutMs: 10_000, limits, network: false, output: new CappedLog(4096), maxOutputBytes: 4096 });
    phases.run += performance.now() - t;
    if (result.exitCode !== 0) throw new Error(`${mode}: exit ${result.exitCode}`);
    t = performance.now();
    await sandbox.cleanup(dir);
    phases.cleanup += performance.now() - t;
  }
  const ms = (total: number) => (total / count).toFixed(1);
  console.log(`${mode.padEnd(10)} per submission: prepare ${ms(phases.prepare)} ms, run ${ms(phases.run)} ms, cleanup ${ms(phases.cleanup)} ms (${count} runs)`);
}
await rm(root, { recursive: true, force: true });

const each = (total: number, n = count) => (total / n).toFixed(2);
if (existsSync(FILTER_LAUNCHER)) {
  // The median of many starts, alternated: other load on the machine moves the mean more than the median.
  const starts: Record<'bare' | 'filtered', number[]> = { bare: [], filtered: [] };
  for (let i = 0; i < 5 * count; i++) {
    for (const [kind, argv] of [['bare', ['/bin/true']], ['filtered', [FILTER_LAUNCHER, '--', '/bin/true']]] as const) {
      const t = performance.now();
      if (spawnSync(argv[0]!, argv.slice(1)).status !== 0) throw new Error(`${argv.join(' ')} failed`);
      starts[kind].push(performance.now() - t);
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const [bare, filtered] = [median(starts.bare), median(starts.filtered)];
  console.log(`filter     start: +${(filtered - bare).toFixed(2)} ms per run (median of ${5 * count}: /bin/true ${bare.toFixed(2)} ms, through the launcher ${filtered.toFixed(2)} ms)`);
  // A million cheap system calls, timed inside the process: what the filter's program adds to each.
  const calls = 'import os, time\nt = time.perf_counter()\nfor _ in range(1000000): os.getppid()\nprint(time.perf_counter() - t)';
  const seconds = (argv: string[]) => Number(spawnSync(argv[0]!, [...argv.slice(1), 'python3', '-c', calls], { encoding: 'utf8' }).stdout);
  const [plain, under] = [seconds(['env']), seconds([FILTER_LAUNCHER, '--'])];
  console.log(`filter     per system call: +${((under - plain) * 1000).toFixed(0)} ns (a million getppid: ${(plain * 1000).toFixed(0)} ms, filtered ${(under * 1000).toFixed(0)} ms)`);
} else {
  console.log(`filter     not built (${FILTER_LAUNCHER})`);
}
let walk = performance.now();
for (let i = 0; i < count; i++) await sharedUsageOf(10190, [...SHARED_MEMORY_DIRS, ...SHARED_DISK_DIRS]);
walk = performance.now() - walk;
console.log(`uid mode   shared folders walk: ${each(walk)} ms (every 200 ms of a run; ${SHARED_MEMORY_DIRS.concat(SHARED_DISK_DIRS).join(', ')})`);
// The scan for files held open without a name, over the runner's own (root's) processes: a busier uid than a test's.
const fds = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).reduce((sum, pid) => sum + (() => { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return 0; } })(), 0);
let scan = performance.now();
for (let i = 0; i < count; i++) unnamedFilesOf(0, true);
scan = performance.now() - scan;
console.log(`both modes open files scan (root's processes, ${fds} descriptors): ${each(scan)} ms (every 200 ms of a run; a test holds a few hundred at most)`);
