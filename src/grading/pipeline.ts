import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { policyOf, RunnerError, toRunnerError, type FaultOutcome } from '../errors.js';
import type { Logger } from '../log.js';
import { exists } from '../paths.js';
import type { Sandbox } from '../sandbox/index.js';
import { CappedLog } from './capped-log.js';
import { ignoredNote } from './integrity.js';
import { runPass, timeLimitMs, type Pass, type PassPlan, type TakenSolution } from './pass.js';
import { describeRun, provenanceHeader } from './provenance.js';
import { combineRuns, gradeOfRun, hiddenRunNeeded, passPlans, type Grade } from './runs.js';
import { takeSolution } from './solution.js';
import type { GradeResult, IntegrityNote, Outcome, PitConfig, Timings } from './types.js';
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

export { timeLimitMs } from './pass.js';

/** How long grading a submission may run its commands: one time limit per sandboxed run. */
export const gradingTimeMs = (pit: PitConfig | undefined, config: Config) => timeLimitMs(pit, config) * (pit && passPlans(pit).hidden ? 2 : 1);

/**
 * unpack → (prepare → execute → score) once, or twice for a PIT with hidden tests, for one
 * submission. The student's faults (bad ZIP, missing files, failing or hostile code) come back as a
 * result; a stop (STOPPED) or a transient fault (TRANSIENT) is thrown after the workspaces are
 * cleaned up, so the caller can release the work.
 */
export async function gradeSubmission(source: SubmissionSource, pit: PitConfig, deps: GradeDeps): Promise<Graded> {
  const { config, log } = deps;
  const { pitId } = pit;
  const started = performance.now();
  const logs = [new CappedLog(config.maxLogBytes)];
  const [output] = logs as [CappedLog];
  const timings: Timings = { unpackMs: 0, executeMs: 0, scoreMs: 0, totalMs: 0 };
  const integrity: IntegrityNote[] = [];
  // measured while the submission is graded (the toolchain's versions once per process)
  const provenance = describeRun(pit, { sandbox: deps.sandbox, timeoutMs: timeLimitMs(pit, config) });
  const finish = async (grade: Grade): Promise<Graded> => {
    const produced = await provenance;
    output.header(provenanceHeader(produced));
    timings.totalMs = Math.round(performance.now() - started);
    log.info({ step: 'grade', status: grade.status, outcome: grade.outcome, score: grade.score, timings }, 'graded');
    const { integrity: ofRuns = [], ...rest } = grade;
    const all = [...integrity, ...ofRuns];
    return {
      result: { pitId, ...rest, ...(all.length ? { integrity: all } : {}), timings, logBytes: sum(logs.map((l) => l.bytes)), logTruncated: logs.some((l) => l.truncated), provenance: produced },
      log: joinLogs(logs),
    };
  };

  await mkdir(config.workDir, { recursive: true, mode: 0o711 });
  // the solution as taken, runner-private: each run's workspace gets it afresh
  const stash = await mkdtemp(path.join(config.workDir, `sub-${process.pid}-`));
  try {
    const t = performance.now();
    const dir = path.join(stash, 'solution');
    const { taken, ignored } = await unpack(source, stash, dir, pit, config);
    const plans = passPlans(pit);
    const solution: TakenSolution = { dir, files: taken, take: plans.hidden ? 'copy' : 'move' };
    timings.unpackMs = Math.round(performance.now() - t);
    if (ignored.length) integrity.push(ignoredNote(ignored));

    const visible = await runPass(pit, plans.visible, solution, output, deps);
    addTimings(timings, visible);
    if (!plans.hidden) return await finish(gradeOfRun(visible));
    const hidden = hiddenRunNeeded(visible.scored) ? await hiddenPass(pit, plans.hidden, { ...solution, take: 'move' }, logs, deps) : undefined;
    if (hidden) addTimings(timings, hidden);
    return await finish(combineRuns(pit, plans.hidden, visible, hidden));
  } catch (err) {
    const error = toRunnerError(err);
    // A stop, a transient fault or the runner's own misconfiguration is not the student's doing: no grade.
    const outcome = faultOutcome(error, log);
    if (!outcome) throw error;
    output.note(`pit-runner: ${error.message}`);
    return await finish(errorResult(outcome, error));
  } finally {
    await rm(stash, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * The hidden run, with a log of its own. Whatever it throws besides a stop or a transient fault
 * becomes an internal error in words that name nothing of it: its text stays in its log.
 */
async function hiddenPass(pit: PitConfig, plan: PassPlan, solution: TakenSolution, logs: CappedLog[], deps: GradeDeps): Promise<Pass> {
  const output = new CappedLog(deps.config.maxLogBytes);
  logs.push(output);
  try {
    return await runPass(pit, plan, solution, output, deps);
  } catch (err) {
    const { fault, outcome } = policyOf(err);
    if (!outcome || fault === 'exercise') throw err;
    output.note(`pit-runner: ${toRunnerError(err).message}`);
    throw new RunnerError('INTERNAL', 'the hidden tests could not be run; the log says why', { cause: err });
  }
}

const addTimings = (timings: Timings, pass: Pass) => {
  timings.prepareMs = (timings.prepareMs ?? 0) + pass.prepareMs;
  timings.executeMs += pass.executeMs;
  timings.scoreMs += pass.scoreMs;
};

const HIDDEN_RUN_BANNER = '\n=== pit-runner: the hidden run (instructors only) ===\n';
const joinLogs = (logs: CappedLog[]) => Buffer.concat(logs.flatMap((l, index) => (index ? [Buffer.from(HIDDEN_RUN_BANNER), l.toBuffer()] : [l.toBuffer()])));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * The submission's solution files, and nothing else, into `dest`: a ZIP is unpacked beside it first,
 * a folder is read in place. Returns what was taken and what was left out.
 */
async function unpack(source: SubmissionSource, workspace: string, dest: string, pit: PitConfig, config: Config): Promise<{ taken: string[]; ignored: string[] }> {
  await mkdir(dest, { recursive: true });
  if ('dir' in source) {
    const { files, ignored } = await takeSolution(source.dir, dest, pit.solution, 'copy');
    return { taken: files, ignored };
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
  return { taken: files, ignored };
}

const allExist = async (root: string, files: string[]) =>
  (await Promise.all(files.map((file) => exists(path.join(root, file))))).every(Boolean);

/** The outcome a fault gives the submission it ends (undefined: not the submission's to end), said loudly where it is not the student's. */
export function faultOutcome(error: RunnerError, log: Logger): FaultOutcome | undefined {
  const { fault, outcome } = policyOf(error);
  if (fault === 'exercise') log.error({ alert: outcome, code: error.code, err: error.message }, 'the PIT is at fault, not the submission: deploy or fix it, then reprocess');
  if (fault === 'internal') log.error({ err: { message: error.message, stack: (error.cause as Error | undefined)?.stack } }, 'internal error while grading');
  return outcome;
}

/** The result of a submission that could not be graded: status ERROR, score 0, the reason in `error`. */
export function errorResult(outcome: Outcome, error: RunnerError): Grade {
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
