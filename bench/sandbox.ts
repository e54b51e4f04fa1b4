/**
 * What the sandbox adds to every command: one whole submission (prepare, run `true`, cleanup) per
 * mode, N times in a row on one uid, and the phases of a namespaces run. Run as root.
 *
 *   node --import tsx bench/sandbox.ts [count]
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { CappedLog } from '../src/grading/capped-log.js';
import { silentLogger } from '../src/log.js';
import { createSandbox } from '../src/sandbox/sandbox.js';

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
