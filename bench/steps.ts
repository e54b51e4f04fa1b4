/**
 * The per-step cost of `process --zip` besides the tests, each step alone, median of N:
 * - loading each library the runner imports (a fresh `node` that imports it, minus one importing nothing);
 * - in this process, on the node sample: config, PIT loading, unpacking the ZIP, copying the template,
 *   preparing and cleaning up a sandbox (its first use probes the namespaces once), reading and scoring the
 *   JUnit report, and one log line.
 * bench/startup.ts times the whole process and splits it into start-up and the pipeline's own timings.
 *
 *   node --import tsx bench/steps.ts [runs]
 */
import { chmod, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { execa } from 'execa';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { loadPit } from '../src/pits/load.js';
import { unpackSubmission } from '../src/grading/unpack.js';
import { applyTemplate } from '../src/grading/template.js';
import { readReports } from '../src/grading/reports.js';
import { scoreRun } from '../src/grading/score.js';
import { sandboxOptions } from '../src/runtime.js';
import type { Sandbox } from '../src/sandbox/index.js';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { repoRoot } from '../test/helpers/cli.js';
import { zipDirectory } from '../test/helpers/zip.js';
import { interleaved, median, timeIt, timeProcess } from './measure.js';

const runs = Number(process.argv[2] ?? 7);
const pitId = 'javascript-node-roman-v1';
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-steps-'));
await chmod(tmp, 0o711);
const msText = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;

async function libraries() {
  // As the runner loads each: ES import, or require() for the CommonJS ones it loads on first use.
  const imports = ['yargs', 'zod', 'pino', 'execa', 'tinyglobby', 'shell-quote', 'require:node-stream-zip', 'require:fast-xml-parser', 'postgres', '@aws-sdk/client-s3', '@aws-sdk/client-sqs'];
  const load = (spec: string) => {
    const name = spec.replace(/^require:/, '');
    const code = spec.startsWith('require:') ? `(await import('node:module')).createRequire(process.cwd() + '/')('${name}')` : `await import('${name}')`;
    return timeProcess(process.execPath, ['--input-type=module', '-e', code], { cwd: repoRoot });
  };
  const bare = async () => (await load('node:module')).ms; // the same node, ES module loader included, importing nothing of its own
  const rows: string[] = [];
  for (const spec of imports) {
    const r = await interleaved(runs, async () => (await load(spec)).ms, bare);
    rows.push(`${spec} ${msText(r.diff)}`);
  }
  console.log(`loading a library (a fresh node importing it, minus one importing nothing): ${rows.join(', ')}`);
}

async function steps() {
  const figures: Record<string, number[]> = {};
  const time = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await fn();
    (figures[step] ??= []).push(performance.now() - started);
    return value;
  };
  const zip = path.join(tmp, 'submission.zip');
  await zipDirectory(path.join(repoRoot, 'examples', pitId, 'correct'), zip, 'correct/');
  const logFile = pino.destination({ dest: path.join(tmp, 'log.jsonl'), sync: true });
  const logger = pino({ level: 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, logFile);
  let sandbox: Sandbox | undefined;
  for (let i = 0; i <= runs; i++) {
    const config = await time('config', async () => loadConfig({ ...process.env, RUNNER_WORK_DIR: path.join(tmp, 'work') }));
    const pit = await time('load PIT', () => loadPit(config.pitsDir, pitId));
    const workspace = path.join(tmp, `run-${i}`);
    await mkdir(path.join(workspace, 'submission'), { recursive: true, mode: 0o711 });
    const { projectRoot } = await time('unpack', () => unpackSubmission(zip, path.join(workspace, 'submission'), config.zip));
    await time('template copy', () => applyTemplate(pit, projectRoot));
    sandbox ??= createSandbox(sandboxOptions(config), silentLogger); // one per process, as the runtime holds it
    await time(`sandbox prepare${i === 0 ? ' (first: probes the namespaces)' : ''}`, () => sandbox!.prepare(workspace));
    await time('log line', async () => logger.info({ step: 'execute', ms: 1, exitCode: 0 }, 'execute done'));
    const result = await sandbox!.run({
      command: pit.testCommand, shell: pit.shell, cwd: projectRoot, env: pit.environment, timeoutMs: pit.maxTimeoutMs, limits: pit.limits,
      network: false, output: { write: () => undefined, note: () => undefined }, maxOutputBytes: config.maxOutputBytes,
    });
    const reports = await time('report parsing', () => readReports(projectRoot, pit.reports));
    await time('score', async () => scoreRun(pit, reports.tests, { setupFailed: false, exitCode: result.exitCode, timedOut: false, memoryLimited: false, outputLimited: false, log: '' }));
    await time('sandbox cleanup', () => sandbox!.cleanup(workspace));
  }
  const first = Object.entries(figures).map(([step, values]) => `${step} ${msText(step.includes('first') ? values[0]! : median(values.slice(1)))}`);
  console.log(`steps in the runner process (median of ${runs}, after a warm-up): ${first.join(', ')}`);
}

try {
  await libraries();
  await steps();
  console.log(`(${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}; sandbox as ${process.getuid?.() === 0 ? 'root' : 'this user'}; ${(await execa('node', ['--version'])).stdout})`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
