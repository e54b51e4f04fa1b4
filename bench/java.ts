/**
 * What the junit build tool buys, on this machine, medians of interleaved runs:
 *  1. the bankaccount sample graded end to end, javac PIT against junit PIT: in-process (the pipeline,
 *     as `process --zip` runs it) and through the CLI (`process --zip`, node's start-up included);
 *  2. exercism-style exercises (JUnit 5, AssertJ, JUnit 4; test/helpers/java-exercises.ts), each graded by
 *     Maven with a plain pom (Surefire's default fork), Maven with the sample pom (forkCount 0) and junit:
 *     the grades must be equal, the times are compared;
 *  3. peak RSS of one junit grading (the JVM alone, and the whole `process --zip`);
 *  4. throughput of `drain-queue --concurrency 2` on junit submissions (bench/drain.ts).
 * Run as root to include the real sandbox; on a shared machine give it sandbox uids no one else uses.
 *
 *   RUNNER_SANDBOX_UID=10601 RUNNER_SANDBOX_GID=10601 node --import tsx bench/java.ts [runs] [drain count]
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { loadPit } from '../src/pits/load.js';
import { repoRoot } from '../test/helpers/cli.js';
import { gradeById } from '../test/helpers/grade.js';
import { javaExercises, writeJavaExercises } from '../test/helpers/java-exercises.js';
import { zipDirectory } from '../test/helpers/zip.js';
import { median, seconds, timeIt, verdict } from './measure.js';

const runs = Number(process.argv[2] ?? 5);
const drainCount = Number(process.argv[3] ?? 40);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-java-'));
await chmod(tmp, 0o711);
const pitsDir = path.join(tmp, 'pits');
const solutions = path.join(tmp, 'solutions');
// The environment counts (RUNNER_SANDBOX_UID: sandbox uids of their own when other runners share the machine).
const samples = loadConfig({ ...process.env, RUNNER_WORK_DIR: path.join(tmp, 'work') });
const generated = loadConfig({ ...process.env, RUNNER_WORK_DIR: path.join(tmp, 'work'), PITS_DIR: pitsDir });
const cli = path.join(repoRoot, 'bin', 'pit-runner.js');

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let value: T | undefined;
  const ms = await timeIt(async () => { value = await fn(); });
  return { ms, value: value! };
}

/** `/usr/bin/time -f %M`: the peak RSS of the largest process of the command, in MB. */
async function peakRssMb(file: string, args: string[], cwd = repoRoot): Promise<number> {
  const run = await execa('/usr/bin/time', ['-f', 'peak-rss-kb %M', file, ...args], { cwd, reject: false, all: true });
  return Number(/peak-rss-kb (\d+)/.exec(run.all ?? '')?.[1] ?? Number.NaN) / 1024;
}

try {
  // 1. bankaccount, end to end
  const bank = { javac: 'java-javac-bankaccount-v1', junit: 'java-junit-bankaccount-v1' };
  const zips: Record<string, string> = {};
  for (const pitId of Object.values(bank)) {
    zips[pitId] = path.join(tmp, `${pitId}.zip`);
    await zipDirectory(path.join(repoRoot, 'examples', pitId, 'correct'), zips[pitId]!, 'correct/');
  }
  const times: Record<string, number[]> = {};
  const record = (key: string, ms: number) => (times[key] ??= []).push(ms);
  for (let i = 0; i < runs; i++) {
    for (const [tool, pitId] of Object.entries(bank)) {
      const graded = await timed(() => gradeById({ zipFile: zips[pitId]! }, pitId, { config: samples, log: silentLogger }));
      if (graded.value.result.score !== 100) throw new Error(`${pitId}: ${graded.value.result.outcome} ${graded.value.result.score}`);
      record(`${tool} pipeline`, graded.ms);
      record(`${tool} execute`, graded.value.result.timings.executeMs);
      record(`${tool} cli`, (await timed(() => execa('node', [cli, 'process', '--zip', zips[pitId]!, '--pit', pitId], { env: { LOG_LEVEL: 'warn' } }))).ms);
    }
  }
  console.log(`bankaccount (median of ${runs}, interleaved):`);
  for (const tool of Object.keys(bank)) {
    const pipeline = median(times[`${tool} pipeline`]!);
    const target = tool === 'junit' ? ` ${verdict(pipeline <= 1000)} (≤ 1.0 s)` : '';
    console.log(`  ${tool.padEnd(5)}  pipeline ${seconds(pipeline)}${target} (test command ${seconds(median(times[`${tool} execute`]!))}), process --zip through the CLI ${seconds(median(times[`${tool} cli`]!))}`);
  }

  // 2. Maven against junit on generated exercises
  await writeJavaExercises(pitsDir, solutions);
  const tools = ['mavenplain', 'maven', 'junit'] as const;
  type Tool = (typeof tools)[number];
  const perTool: Record<Tool, number[]> = { mavenplain: [], maven: [], junit: [] };
  const mismatches: string[] = [];
  const mavenRuns = Math.max(1, Math.min(runs, 3));
  for (const exercise of javaExercises) {
    const dir = path.join(solutions, exercise.name);
    const exerciseTimes: Record<Tool, number[]> = { mavenplain: [], maven: [], junit: [] };
    const grades = new Set<string>();
    for (let i = 0; i < mavenRuns; i++) {
      for (const tool of tools) {
        const graded = await timed(() => gradeById({ dir }, `${exercise.name}-${tool}-v1`, { config: generated, log: silentLogger }));
        exerciseTimes[tool].push(graded.ms);
        const r = graded.value.result;
        grades.add(JSON.stringify([r.outcome, r.score, r.tests.map((t) => `${t.classname}#${t.name}=${t.status}`).sort()]));
      }
    }
    if (grades.size !== 1) mismatches.push(`${exercise.name}: ${[...grades].join(' vs ')}`);
    for (const tool of tools) perTool[tool].push(median(exerciseTimes[tool]));
    const [outcome, score] = JSON.parse([...grades][0]!) as [string, number];
    console.log(`  ${exercise.name.padEnd(15)} ${tools.map((tool) => `${tool} ${seconds(median(exerciseTimes[tool]))}`).join(', ')}; grade ${outcome} ${score}`);
  }
  const ratio = (tool: Tool) => { const r = median(perTool.junit) / median(perTool[tool]); return `${r.toFixed(3)} ${verdict(r <= 0.1)}`; };
  console.log(`exercises (${javaExercises.length}, median of ${mavenRuns} each): median ${tools.map((tool) => `${tool} ${seconds(median(perTool[tool]))}`).join(', ')}; `
    + `junit/mavenplain ${ratio('mavenplain')}, junit/maven ${ratio('maven')}; grades ${mismatches.length ? `DIFFER: ${mismatches.join('; ')}` : `all equal (every tool, every run) ${verdict(true)}`} (target: ratio ≤ 0.1)`);
  console.log('  (mavenplain: the exercise\'s own pom, Surefire\'s default fork; maven: the sample pom, tests in Maven\'s JVM)');

  // 3. memory
  const command = (await loadPit(samples.pitsDir, bank.junit)).testCommand;
  const project = path.join(tmp, 'rss-project');
  await execa('cp', ['-R', path.join(repoRoot, 'examples', bank.junit, 'correct'), project]);
  await execa('cp', ['-R', `${path.join(repoRoot, 'pits', bank.junit)}/.`, project]);
  const jvmMb = await peakRssMb('sh', ['-c', command], project);
  const wholeMb = await peakRssMb('node', [cli, 'process', '--zip', zips[bank.junit]!, '--pit', bank.junit]);
  console.log(`peak RSS of one junit grading: the JVM ${jvmMb.toFixed(0)} MB; process --zip (largest process) ${wholeMb.toFixed(0)} MB ${verdict(Math.max(jvmMb, wholeMb) <= 300)} (≤ 300 MB)`);

  // 4. throughput
  const drain = await execa('node', ['--import', 'tsx', 'bench/drain.ts', String(drainCount), bank.junit], { cwd: repoRoot, all: true });
  const line = /concurrency 2: .*?in ([\d.]+) s/.exec(drain.all ?? '');
  console.log(drain.stdout.trim().split('\n').map((l) => `  ${l}`).join('\n'));
  const perSecond = line ? drainCount / Number(line[1]) : Number.NaN;
  console.log(`drain-queue --concurrency 2: ${perSecond.toFixed(2)} junit submissions/s ${verdict(perSecond >= 1.5)} (≥ 1.5/s)`);
  console.log(`(${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}, sandbox as ${process.getuid?.() === 0 ? 'root: separate uid + namespaces' : 'this user'})`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
