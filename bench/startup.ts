/**
 * What the CLI costs on top of the work it does, as whole processes, medians of interleaved runs:
 * 1. start-up: `--version` from the checkout's entry point and from dist/, against `node -e 0`;
 * 2. `process --zip` on the node sample against the same test command run by hand in a prepared folder,
 *    and the runner process's own peak RSS during that run (its tests are other processes);
 * 3. `drain-queue` and `process --submission-id` from the spawn to their first network call (a local
 *    listener stands in for PostgreSQL and SQS and counts the first connection).
 * Targets (issue "start in a blink"): ≤ 2× node -e 0; ≤ 0.25 s above by hand; ≤ 80 MB; ≤ 0.3 s.
 * The checkout figures are dist/'s only while the build is current (`npm run build`), else tsx's.
 *
 *   node --import tsx bench/startup.ts [runs]
 */
import { randomUUID } from 'node:crypto';
import { chmod, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { buildIsCurrent } from '../bin/build-stamp.js';
import { repoRoot } from '../test/helpers/cli.js';
import { zipDirectory } from '../test/helpers/zip.js';
import { interleaved, median, seconds, timeProcess, verdict } from './measure.js';

const runs = Number(process.argv[2] ?? 7);
const pitId = 'javascript-node-roman-v1';
const node = process.execPath;
const bin = path.join(repoRoot, 'bin', 'pit-runner.js');
const dist = path.join(repoRoot, 'dist', 'main.js');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-startup-'));
await chmod(tmp, 0o711);
const env = { ...process.env, RUNNER_WORK_DIR: path.join(tmp, 'work'), RUNNER_DATA_DIR: path.join(tmp, 'data') };
const ms = async (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => {
  const run = await timeProcess(command, args, { env, ...options });
  if (run.code !== 0) throw new Error(`${command} ${args.join(' ')}: exit ${run.code}\n${run.stderr}`);
  return run.ms;
};
const nodeBare = () => ms(node, ['-e', '0']);

async function startup() {
  const current = buildIsCurrent(repoRoot);
  const entries: Array<[string, string]> = [[`checkout, bin/pit-runner.js (${current ? 'dist/: build current' : 'tsx: sources changed since the build'})`, bin]];
  if (existsSync(dist)) entries.push(['dist/main.js (as in the image)', dist]);
  for (const [label, file] of entries) {
    const r = await interleaved(runs, () => ms(node, [file, '--version']), nodeBare);
    console.log(`--version, ${label}: ${seconds(r.a)} vs node -e 0 ${seconds(r.b)}: ${r.ratio.toFixed(1)}× ${verdict(r.ratio <= 2)} (≤ 2×)`);
  }
}

// The runner's peak RSS, read by the runner itself as it exits (getrusage of its own process only).
const peakRssHook = `data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync(process.env.BENCH_PEAK_RSS_FILE,String(process.resourceUsage().maxRSS)))`;

async function processZip() {
  const pit = JSON.parse(await readFile(path.join(repoRoot, 'pits', `${pitId}.json`), 'utf8')) as { testCommand: string };
  const example = path.join(repoRoot, 'examples', pitId, 'correct');
  const zip = path.join(tmp, 'submission.zip');
  await zipDirectory(example, zip, 'correct/');
  const peaks: number[] = [];
  const steps: Record<string, number[]> = {};
  const graded = async () => {
    const rssFile = path.join(tmp, `rss-${randomUUID()}`);
    const run = await timeProcess(node, ['--import', peakRssHook, bin, 'process', '--zip', zip, '--pit', pitId], { env: { ...env, LOG_LEVEL: 'info', BENCH_PEAK_RSS_FILE: rssFile } });
    const result = JSON.parse(run.stdout || '{}') as { score?: number; outcome?: string; timings: Record<string, number> };
    if (result.score !== 100) throw new Error(`process --zip: expected 100, got ${result.score} (${result.outcome})\n${run.stderr}`);
    peaks.push(Number(await readFile(rssFile, 'utf8')) / 1024);
    const { totalMs = 0, ...pipeline } = result.timings;
    for (const [step, value] of Object.entries({ 'outside the pipeline (node, modules, config, PIT, exit)': run.ms - totalMs, ...pipeline })) (steps[step] ??= []).push(value);
    return run.ms;
  };
  const byHand = async () => {
    const dir = path.join(tmp, `hand-${randomUUID()}`); // prepared outside the timing: solution + template
    await cp(example, dir, { recursive: true });
    await cp(path.join(repoRoot, 'pits', pitId), dir, { recursive: true });
    return ms('sh', ['-c', pit.testCommand], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  };
  const r = await interleaved(runs, graded, byHand);
  console.log(`process --zip (${pitId}): ${seconds(r.a)} vs by hand ${seconds(r.b)}: ${seconds(r.diff)} above ${verdict(r.diff <= 250)} (≤ 0.25 s)`);
  console.log(`  where its time goes: ${Object.entries(steps).map(([step, values]) => `${step.replace(/Ms$/, '')} ${seconds(median(values))}`).join(', ')}`);
  const peak = median(peaks);
  console.log(`peak RSS of the runner during process --zip: ${peak.toFixed(0)} MB ${verdict(peak <= 80)} (≤ 80 MB)`);
}

/** Time from the spawn to the first connection to a local listener standing in for every network service. */
async function untilFirstConnection(args: string[], extraEnv: (port: number) => NodeJS.ProcessEnv): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const started = performance.now();
    const child = spawn(node, [bin, ...args], { env: { ...env, ...extraEnv(port) }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const connected = new Promise<number>((resolve) => server.once('connection', () => resolve(performance.now() - started)));
    const first = await Promise.race([connected, exited.then((code) => { throw new Error(`pit-runner ${args[0]} exited (${code}) before any network call`); })]);
    child.kill('SIGKILL');
    await exited;
    return first;
  } finally {
    server.close();
  }
}

async function serviceStartup() {
  const services = (port: number): NodeJS.ProcessEnv => ({
    DATABASE_URL: `postgres://bench:bench@127.0.0.1:${port}/bench`,
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_SQS_QUEUE_URL: `http://127.0.0.1:${port}/000000000000/bench`,
    STORAGE_URL: `file://${path.join(tmp, 'storage')}`, LOG_LEVEL: 'warn',
  });
  for (const args of [['drain-queue'], ['process', '--submission-id', randomUUID()]]) {
    const r = await interleaved(runs, () => untilFirstConnection(args, services), nodeBare);
    console.log(`${args[0] === 'drain-queue' ? 'drain-queue' : 'process --submission-id'} until its first network call: ${seconds(r.a)} (node -e 0 ${seconds(r.b)}) ${verdict(r.a <= 300)} (≤ 0.3 s)`);
  }
}

try {
  await startup();
  await processZip();
  await serviceStartup();
  console.log(`(median of ${runs} interleaved runs; ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}; sandbox as ${process.getuid?.() === 0 ? 'root: separate uid + namespaces' : 'this user'})`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
