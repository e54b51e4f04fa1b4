import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Sandbox, SandboxResult } from '../sandbox/index.js';
import type { CappedLog } from './capped-log.js';
import { harnessEnvironment } from './harness-env.js';
import { misplacedReports } from './report-place.js';
import { clearReports, readReports, testId } from './reports.js';
import { createReportFolders, rewrittenNote, watchReports, type WatchedReports } from './report-watch.js';
import { scoreRun, type RunFacts, type Scored, type Trust } from './score.js';
import { plantSentinel, sentinelLeftOut, type Sentinel } from './sentinel.js';
import { takeSolution } from './solution.js';
import { applyTemplate } from './template.js';
import type { PitConfig, TestResult } from './types.js';
import { readVerdict } from './verdict.js';

/** Which tests one run has and scores. A PIT without hidden tests has one run of everything. */
export interface PassPlan {
  /** Template files left out of this run's workspace (the hidden run's, in the visible run). */
  leaveOut: string[];
  /** The tests this run scores; any other it reports is dropped (and listed for instructors). */
  owns: (test: TestResult) => boolean;
  /** This run's share of the PIT's expectedTests. */
  expectedTests?: string[];
}

export interface PassDeps { config: Config; log: Logger; sandbox: Sandbox; signal?: AbortSignal }

export interface Pass {
  scored: Scored;
  run: RunFacts;
  /** Ids of tests the run reported but does not own. */
  dropped: string[];
  prepareMs: number;
  executeMs: number;
  scoreMs: number;
}

/** The wall-clock limit of one run of a PIT's commands on this runner: the PIT's own, capped by RUNNER_TIMEOUT_MS. */
export const timeLimitMs = (pit: Pick<PitConfig, 'maxTimeoutMs'> | undefined, config: Config) => Math.min(pit?.maxTimeoutMs ?? config.timeoutMs, config.timeoutMs);

/** The solution as taken, in a folder the sandbox never gets; the last run may move its files rather than copy them. */
export interface TakenSolution { dir: string; files: string[]; take: 'copy' | 'move' }

/**
 * One sandboxed run in a fresh workspace: the solution and the template less `plan.leaveOut`, a
 * sentinel, the commands, then the reports read and scored. The workspace and every process of its
 * sandbox are gone when this returns or throws.
 */
export async function runPass(pit: PitConfig, plan: PassPlan, solution: TakenSolution, output: CappedLog, deps: PassDeps): Promise<Pass> {
  const { config, sandbox, log } = deps;
  // named after this process, so a later run can tell the leftovers of a dead one (sandbox/leftovers.ts)
  const workspace = await mkdtemp(path.join(config.workDir, `sub-${process.pid}-`));
  const since = (t: number) => Math.round(performance.now() - t);
  try {
    let t = performance.now();
    const projectRoot = path.join(workspace, 'submission');
    await mkdir(projectRoot);
    await takeSolution(solution.dir, projectRoot, ['**'], solution.take);
    const instructorFiles = await applyTemplate(pit, projectRoot, plan.leaveOut);
    const sentinel = await plantSentinel(pit, projectRoot, workspace, solution.files, plan.leaveOut);
    await clearReports(projectRoot, pit.reports);
    // Reports are read only without a verdict channel; then their folders are watched from outside.
    const readsReports = !sentinel?.harnessKey;
    if (readsReports) await createReportFolders(projectRoot, pit.reports);
    await sandbox.prepare(workspace, { immutable: [...instructorFiles, ...(sentinel?.files ?? [])] });
    const prepareMs = since(t);

    t = performance.now();
    const watch = readsReports ? await watchReports(projectRoot, pit.reports, log) : undefined;
    let watched: WatchedReports | undefined;
    // the watch stops also when the run was stopped: no reader is left behind
    const run = await execute(pit, projectRoot, output, deps, sentinel).finally(async () => { watched = await watch?.stop(); });
    if (watched) run.watched = watched;
    const executeMs = since(t);
    log.info({ step: 'execute', ms: executeMs, exitCode: run.exitCode, timedOut: run.timedOut }, 'execute done');

    t = performance.now();
    const { scored, dropped } = await readAndScore(pit, plan, projectRoot, run, sentinel);
    // the run's evidence points at the PIT: its fault (ERROR, an alert, retryable after the fix), never a grade
    if (scored.outcome === 'PIT_MISCONFIGURED') throw new RunnerError('PIT_MISCONFIGURED', scored.message ?? 'the PIT is misconfigured');
    if (scored.message) output.note(`pit-runner: ${scored.message}`);
    return { scored, run, dropped, prepareMs, executeMs, scoreMs: since(t) };
  } finally {
    // cleanup kills the sandbox's processes and deletes the workspace; if it fails, at least free the disk
    await sandbox.cleanup(workspace).catch(async (err) => {
      log.error({ err: String(err), workspace }, 'workspace cleanup failed');
      await rm(workspace, { recursive: true, force: true }).catch(() => undefined);
    });
  }
}

/** The run's results, read and scored: the tests the plan owns (and the sentinel), the rest dropped by id. */
async function readAndScore(pit: PitConfig, plan: PassPlan, projectRoot: string, run: ExecutedRun, sentinel: Sentinel | undefined): Promise<{ scored: Scored; dropped: string[] }> {
  const { records, watched, ...facts } = run;
  const [reported, trust] = await resultsOf(records, watched, projectRoot, pit, sentinel);
  const kept = (test: TestResult) => plan.owns(test) || testId(test) === sentinel?.id;
  const scoring = { ...(plan.expectedTests && { expectedTests: plan.expectedTests }), ...(pit.weights && { weights: pit.weights }) };
  const scored = scoreRun(scoring, reported.filter(kept), facts, trust);
  return { scored, dropped: reported.filter((test) => !kept(test)).map(testId) };
}

/**
 * The tests a run reported and what vouches for them: with a harness key, only the records on the
 * verdict channel (report files the sandbox uid could write are not read); else the report files.
 */
async function resultsOf(records: Buffer | undefined, watched: WatchedReports | undefined, projectRoot: string, pit: PitConfig, sentinel: Sentinel | undefined): Promise<[TestResult[], Trust]> {
  if (sentinel?.harnessKey) {
    const verdict = readVerdict(records ?? Buffer.alloc(0), sentinel.harnessKey);
    return [verdict.tests, { integrity: verdict.integrity, sentinel, verdict: { complete: verdict.complete } }];
  }
  const reports = await readReports(projectRoot, pit.reports);
  const rewritten = watched && rewrittenNote(reports.files, watched);
  const counted = watched && !watched.lost && { reports: { files: reports.files.length, written: watched.writes.size } };
  const leftOut = sentinel && sentinelLeftOut(pit);
  const misplaced = reports.files.length ? undefined : await misplacedReports(pit);
  const facts = { ...counted, ...(leftOut && { sentinelLeftOut: leftOut }), ...(misplaced && { reportsMisplaced: `${misplaced.globs.join(', ')} outside ${misplaced.folder}/` }) };
  return [reports.tests, { integrity: [...reports.integrity, ...(rewritten ? [rewritten] : [])], ...(sentinel && { sentinel }), ...facts }];
}

type ExecutedRun = RunFacts & { records?: Buffer; watched?: WatchedReports };

/** setupCommands, then testCommand, sharing one wall-clock budget and one capped log; only the test command gets the harness key. */
async function execute(pit: PitConfig, cwd: string, output: CappedLog, deps: PassDeps, sentinel: Sentinel | undefined): Promise<ExecutedRun> {
  const deadline = Date.now() + timeLimitMs(pit, deps.config);
  let last: SandboxResult | undefined;
  let setupFailed = false;
  for (const [index, command] of [...pit.setupCommands, pit.testCommand].entries()) {
    const isSetup = index < pit.setupCommands.length;
    output.note(`$ ${command}`);
    last = await deps.sandbox.run({
      command,
      shell: pit.shell,
      cwd,
      env: { ...harnessEnvironment(pit), ...sentinel?.env },
      timeoutMs: Math.max(1, deadline - Date.now()),
      limits: pit.limits,
      network: pit.network,
      output,
      maxOutputBytes: deps.config.maxOutputBytes,
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(!isSetup && sentinel?.harnessKey && { harnessKey: sentinel.harnessKey }),
    });
    const stopped = last.exitCode !== 0 || last.timedOut || last.memoryLimited || last.outputLimited || last.diskLimited;
    if (isSetup && stopped) { setupFailed = true; break; }
  }
  const run = last!;
  return {
    setupFailed,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    memoryLimited: run.memoryLimited,
    outputLimited: run.outputLimited || run.diskLimited,
    log: output.toBuffer().toString('utf8'),
    ...(run.harnessRecords && { records: run.harnessRecords }),
  };
}
