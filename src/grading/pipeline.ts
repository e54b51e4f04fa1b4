import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { installDir, testToolsDir, type Config } from '../config.js';
import { faultOf, RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { CappedLog } from './capped-log.js';
import { markHidden } from './feedback.js';
import { harnessDir } from './harness.js';
import { harnessEnvironment } from './harness-env.js';
import { clearReports, readReports } from './reports.js';
import { exists } from '../paths.js';
import type { Sandbox, SandboxOptions, SandboxResult } from '../sandbox/index.js';
import { scoreRun, type RunFacts, type Trust } from './score.js';
import { applyTemplate } from './template.js';
import { ignoredNote } from './integrity.js';
import { plantSentinel, type Sentinel } from './sentinel.js';
import { takeSolution } from './solution.js';
import type { GradeResult, IntegrityNote, Outcome, PitConfig, TestResult, Timings } from './types.js';
import { readVerdict } from './verdict.js';
import { unpackSubmission } from './unpack.js';

/** A student's ZIP, or a folder of trusted files (an instructor's reference solution). */
export type SubmissionSource = { zipFile: string } | { dir: string };

export interface GradeDeps {
  config: Config;
  log: Logger;
  signal?: AbortSignal;
  /** The process's one sandbox (the composition root's): every submission graded at once leases its uid from it. */
  sandbox: Sandbox;
}

export interface Graded { result: GradeResult; log: Buffer }

/** The sandbox settings a config asks for. */
/** The wall-clock limit of a PIT's commands on this runner: the PIT's own, capped by RUNNER_TIMEOUT_MS. */
export const timeLimitMs = (pit: Pick<PitConfig, 'maxTimeoutMs'> | undefined, config: Config) => Math.min(pit?.maxTimeoutMs ?? config.timeoutMs, config.timeoutMs);

export function sandboxOptions(config: Config): SandboxOptions {
  const { sandbox, workspaceMaxBytes, pitsDir, dataDir } = config;
  // Tests must not read PIT templates' originals, the reference solutions of a checkout, or the data
  // folder (local storage, embedded database); they may read the install's test tools and runtime harnesses.
  return { ...sandbox, workspaceMaxBytes, hide: [pitsDir, path.join(installDir, 'examples'), dataDir], readable: [testToolsDir, harnessDir()] };
}

/**
 * unpack → prepare → execute → score for one submission. The student's faults (bad ZIP, missing
 * files, failing or hostile code) come back as a result; a stop (STOPPED) or a transient fault
 * (TRANSIENT) is thrown after the workspace is cleaned up, so the caller can release the work.
 */
export async function gradeSubmission(source: SubmissionSource, pit: PitConfig, deps: GradeDeps): Promise<Graded> {
  const { config, log } = deps;
  const { pitId } = pit;
  const started = performance.now();
  const output = new CappedLog(config.maxLogBytes);
  const timings: Timings = { unpackMs: 0, executeMs: 0, scoreMs: 0, totalMs: 0 };
  const integrity: IntegrityNote[] = [];
  const since = (t: number) => Math.round(performance.now() - t);
  const finish = (result: Omit<GradeResult, 'timings' | 'logBytes' | 'logTruncated' | 'pitId'>): Graded => {
    timings.totalMs = since(started);
    log.info({ step: 'grade', status: result.status, outcome: result.outcome, score: result.score, timings }, 'graded');
    return {
      result: { pitId, ...result, ...(integrity.length ? { integrity } : {}), timings, logBytes: output.bytes, logTruncated: output.truncated },
      log: output.toBuffer(),
    };
  };

  await mkdir(config.workDir, { recursive: true, mode: 0o711 });
  // named after this process, so a later run can tell the leftovers of a dead one (sandbox/leftovers.ts)
  const workspace = await mkdtemp(path.join(config.workDir, `sub-${process.pid}-`));
  const { sandbox } = deps;
  try {
    let t = performance.now();
    const { projectRoot, taken, ignored } = await unpack(source, workspace, path.join(workspace, 'submission'), pit, config);
    timings.unpackMs = since(t);
    if (ignored.length) integrity.push(ignoredNote(ignored));

    t = performance.now();
    const instructorFiles = await applyTemplate(pit, projectRoot);
    const sentinel = await plantSentinel(pit, projectRoot, workspace, taken);
    await clearReports(projectRoot, pit.reports);
    await sandbox.prepare(workspace, { immutable: [...instructorFiles, ...(sentinel?.files ?? [])] });
    timings.prepareMs = since(t);

    t = performance.now();
    const run = await execute(pit, projectRoot, sandbox, output, deps, sentinel);
    timings.executeMs = since(t);
    log.info({ step: 'execute', ms: timings.executeMs, exitCode: run.exitCode, timedOut: run.timedOut }, 'execute done');

    t = performance.now();
    const scored = scoreRun(pit, ...await resultsOf(run, projectRoot, pit, sentinel));
    timings.scoreMs = since(t);
    integrity.push(...scored.integrity);
    const notes = scored.notes;
    if (scored.message) output.note(`pit-runner: ${scored.message}`);
    return finish({
      status: 'DONE',
      outcome: scored.outcome,
      score: scored.score,
      summary: scored.summary,
      tests: markHidden(scored.tests, pit),
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      ...(notes.length ? { notes } : {}),
      ...(scored.message ? { error: { code: scored.outcome, message: scored.message } } : {}),
    });
  } catch (err) {
    const error = toRunnerError(err);
    const fault = faultOf(error);
    // A stop, a transient fault or the runner's own misconfiguration is not the student's doing: no grade.
    if (fault === 'stop' || fault === 'transient' || fault === 'runner') throw error;
    output.note(`pit-runner: ${error.message}`);
    if (fault === 'student') return finish(errorResult('INVALID_SUBMISSION', error));
    log.error({ err: { message: error.message, stack: (error.cause as Error | undefined)?.stack } }, 'internal error while grading');
    return finish(errorResult('INTERNAL_ERROR', error));
  } finally {
    // cleanup kills the sandbox's processes and deletes the workspace; if it fails, at least free the disk
    await sandbox.cleanup(workspace).catch(async (err) => {
      log.error({ err: String(err), workspace }, 'workspace cleanup failed');
      await rm(workspace, { recursive: true, force: true }).catch(() => undefined);
    });
  }
}

/**
 * The submission's solution files, and nothing else, into `dest`: a ZIP is unpacked beside it first,
 * a folder is read in place. Returns the project root and what was left out.
 */
async function unpack(source: SubmissionSource, workspace: string, dest: string, pit: PitConfig, config: Config): Promise<{ projectRoot: string; taken: string[]; ignored: string[] }> {
  await mkdir(dest, { recursive: true });
  if ('dir' in source) {
    const { files, ignored } = await takeSolution(source.dir, dest, pit.solution, 'copy');
    return { projectRoot: dest, taken: files, ignored };
  }
  const { size } = await stat(source.zipFile);
  if (size > config.zip.maxZipBytes) throw new RunnerError('INVALID_SUBMISSION', `the ZIP is ${size} bytes; the limit is ${config.zip.maxZipBytes}`);
  const upload = path.join(workspace, 'upload');
  await mkdir(upload);
  const unpacked = await unpackSubmission(source.zipFile, upload, config.zip);
  // A ZIP of the project's contents whose only folder is src/ is not a wrapped project: the PIT's
  // required files, when found at the top, say where the root is.
  const top = unpacked.projectRoot !== upload && pit.requiredFiles.length && (await allExist(upload, pit.requiredFiles));
  const { files, ignored } = await takeSolution(top ? upload : unpacked.projectRoot, dest, pit.solution, 'move');
  await rm(upload, { recursive: true, force: true });
  return { projectRoot: dest, taken: files, ignored };
}

const allExist = async (root: string, files: string[]) =>
  (await Promise.all(files.map((file) => exists(path.join(root, file))))).every(Boolean);

/**
 * The tests a run reported and what vouches for them: with a harness key, only the records on the
 * verdict channel (report files the sandbox uid could write are not read); else the report files.
 */
async function resultsOf(run: ExecutedRun, projectRoot: string, pit: PitConfig, sentinel: Sentinel | undefined): Promise<[TestResult[], RunFacts, Trust]> {
  const { records, ...facts } = run;
  if (sentinel?.harnessKey) {
    const verdict = readVerdict(records ?? Buffer.alloc(0), sentinel.harnessKey);
    return [verdict.tests, facts, { integrity: verdict.integrity, sentinel, verdict: { complete: verdict.complete } }];
  }
  const reports = await readReports(projectRoot, pit.reports);
  return [reports.tests, facts, { integrity: reports.integrity, ...(sentinel && { sentinel }) }];
}

type ExecutedRun = RunFacts & { records?: Buffer };

/** setupCommands, then testCommand, sharing one wall-clock budget and one capped log; only the test command gets the harness key. */
async function execute(pit: PitConfig, cwd: string, sandbox: Sandbox, output: CappedLog, deps: GradeDeps, sentinel: Sentinel | undefined): Promise<ExecutedRun> {
  const deadline = Date.now() + timeLimitMs(pit, deps.config);
  let last: SandboxResult | undefined;
  let setupFailed = false;
  for (const [index, command] of [...pit.setupCommands, pit.testCommand].entries()) {
    const isSetup = index < pit.setupCommands.length;
    output.note(`$ ${command}`);
    last = await sandbox.run({
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

/** The result of a submission that could not be graded: status ERROR, score 0, the reason in `error`. */
export function errorResult(outcome: Outcome, error: RunnerError): Omit<GradeResult, 'timings' | 'logBytes' | 'logTruncated' | 'pitId'> {
  return {
    status: 'ERROR',
    outcome,
    score: 0,
    summary: { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0 },
    tests: [],
    exitCode: null,
    timedOut: false,
    error: { code: error.code, message: error.message },
  };
}
