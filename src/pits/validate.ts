import { access, constants, copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { glob } from 'tinyglobby';
import { usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { exists } from '../paths.js';
import { readCommandLine, type ShellOnly } from '../sandbox/index.js';
import { misplacedReports } from '../grading/report-place.js';
import { assertPitId, junitIgnoredFields, loadPit, parsePitFile } from './load.js';
import { archiveProblem, MAVEN_OFFLINE_REPO } from './junit.js';
import { templateProblems } from './template-checks.js';
import { idMatcher } from '../grading/runs.js';
import type { PitConfig } from '../grading/types.js';

export interface PitReport { pitId: string; problems: string[]; warnings: string[] }

export interface ValidateDeps {
  log: Logger;
  /** RUNNER_TIMEOUT_MS: a PIT asking for more is capped. */
  timeoutMs?: number;
  mavenRepo?: string;
}

/** Validates the given PITs, or every `*.json` in `pitsDir` when `ids` is empty. */
export async function validatePits(pitsDir: string, ids: string[], deps: ValidateDeps): Promise<PitReport[]> {
  const files = ids.length ? [] : await readdir(pitsDir).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? usageError(`no PITs folder at ${pitsDir}`) : err;
  });
  const wanted = ids.length ? ids : files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  const reports: PitReport[] = [];
  for (const pitId of wanted) reports.push(await validatePit(pitsDir, pitId, deps));
  return reports;
}

export async function validatePit(pitsDir: string, pitId: string, deps: ValidateDeps): Promise<PitReport> {
  const report: PitReport = { pitId, problems: [], warnings: [] };
  let pit: PitConfig;
  try {
    assertPitId(pitId);
    pit = await loadPit(pitsDir, pitId);
  } catch (err) {
    report.problems.push(...(err as Error).message.split('\n'));
    return report;
  }
  for (const [index, command] of pit.setupCommands.entries()) report.problems.push(...commandProblems(`setupCommands.${index}`, command, pit.shell));
  report.problems.push(...commandProblems('testCommand', pit.testCommand, pit.shell));
  for (const command of [...pit.setupCommands, pit.testCommand]) {
    const program = pit.shell ? undefined : commandProblems('', command, false).length ? undefined : readCommandLine(command).argv[0];
    if (typeof program === 'string' && !(await onPath(program))) report.warnings.push(`'${program}' is not on this machine's PATH`);
  }
  if (!pit.template) report.warnings.push('no template folder: the tests come from the submission, which the student controls');
  report.problems.push(...(await templateProblems(pit)));
  if (pit.testTimeoutMs && pit.buildTool === 'node' && !/--test-timeout\b/.test(pit.testCommand)) {
    report.warnings.push(`testTimeoutMs: node's test runner reads a per-test limit only from its command line: add --test-timeout=${pit.testTimeoutMs} to testCommand`);
  }
  if (!pit.expectedTests) report.warnings.push('no expectedTests: run `pit verify` so that a test that never ran counts as failed');
  if (deps.timeoutMs !== undefined && pit.maxTimeoutMs > deps.timeoutMs) report.warnings.push(`maxTimeoutMs ${pit.maxTimeoutMs} is capped at RUNNER_TIMEOUT_MS ${deps.timeoutMs}`);
  if (pit.buildTool === 'maven') report.problems.push(...(await mavenProblems(pit, deps)));
  report.problems.push(...(await reportGlobProblems(pit)));
  report.warnings.push(...junitIgnoredFields(parsePitFile(await readFile(pit.configFile, 'utf8'), pit.configFile)));
  if (pit.language === 'java' && ['maven', 'javac'].includes(pit.buildTool) && pit.template && (await exists(path.join(pit.template, 'src/test/java')))) {
    report.warnings.push(`buildTool ${pit.buildTool}: the solution runs in the JVM that writes the reports, so forged results are only detected, not prevented; the junit build tool confines it: set "buildTool": "junit" (its test command and reports are its own)`);
  }
  if (pit.buildTool === 'junit') {
    const archive = await archiveProblem();
    if (archive) report.warnings.push(archive);
  }
  report.problems.push(...(await hiddenProblems(pit)));
  report.warnings.push(...(await trustWarnings(pit)));
  return report;
}

/**
 * A `hiddenTests` pattern that names the class of a test file the visible run has would give that
 * run a hidden test (and its words to the student). Java and Python classes are known by their
 * files; node's by their describe blocks only, which `pit verify` checks by running them.
 */
export async function hiddenProblems(pit: PitConfig): Promise<string[]> {
  if (!pit.template || !pit.hiddenTests || !pit.hiddenFiles) return [];
  const hidden = new Set(pit.hiddenFiles);
  const problems: string[] = [];
  for (const file of (await glob(['**/*.java', '**/*.py'], { cwd: pit.template })).filter((f) => !hidden.has(f)).sort()) {
    const classname = await classnameOf(pit.template, file);
    const named = pit.hiddenTests.filter((pattern) => pattern.includes('#') && namesClass(pattern.slice(0, pattern.indexOf('#')), classname));
    for (const pattern of named) problems.push(`hiddenTests: ${pattern} names tests of ${file}, which the visible run has: add the file to hiddenFiles or narrow the pattern`);
  }
  return problems;
}

const namesClass = (pattern: string, classname: string) => idMatcher([pattern])(classname) || pattern.startsWith(`${classname}.`);

/** The class a Java file declares (its package and name) or a Python test module's dotted path, as reports name them. */
async function classnameOf(template: string, file: string): Promise<string> {
  if (file.endsWith('.py')) return file.slice(0, -3).split('/').join('.');
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(await readFile(path.join(template, file), 'utf8'))?.[1];
  return `${pkg ? `${pkg}.` : ''}${path.basename(file, '.java')}`;
}

/** A `reports` glob where the tool never writes grades every submission PIT_MISCONFIGURED. */
async function reportGlobProblems(pit: PitConfig): Promise<string[]> {
  const misplaced = await misplacedReports(pit);
  if (!misplaced) return [];
  const { folder, globs } = misplaced;
  return globs.map((glob) => `reports: ${glob} is not where ${pit.buildTool} writes its reports (${folder}/): set "reports": "${folder}/${pit.buildTool === 'maven' ? 'TEST-' : ''}*.xml" or remove the field`);
}

/** Settings that weaken the defences against a hostile submission (see RUNBOOK, Security). */
export async function trustWarnings(pit: PitConfig): Promise<string[]> {
  const warnings: string[] = [];
  if (!pit.template) return warnings;
  const wide = pit.solution.filter((glob) => !glob.startsWith('!') && /^(\*\*(\/\*)?|\*)$/.test(glob));
  if (wide.length) warnings.push(`solution: ${wide.join(', ')} takes every file of the submission, so its build settings, test configuration and extra tests reach the run`);
  for (const glob of pit.reports) {
    const folder = glob.split('/')[0]!;
    if (glob.includes('/') && (await exists(path.join(pit.template, folder)))) warnings.push(`reports: the template has ${folder}/, which is read-only to tests (instructor files are immutable), so the harness cannot write its reports there`);
  }
  if (!pit.sentinel) warnings.push('sentinel: false: a report forged wholesale (every test passed) is not detected');
  else if (!['maven', 'javac', 'junit', 'pytest', 'node'].includes(pit.buildTool)) warnings.push(`no sentinel test for build tool '${pit.buildTool}': a report forged wholesale is not detected`);
  if (pit.network) warnings.push('network: true: tests can reach the network (and send the solution or receive answers)');
  if (pit.reports.some((glob) => glob.startsWith('**') || !glob.includes('/'))) warnings.push(`reports: ${pit.reports.join(', ')} can match files anywhere in the project; point it at the folder the harness writes`);
  if (pit.buildTool === 'node' && /--experimental-permission|--allow-/.test(pit.environment.NODE_OPTIONS ?? '')) warnings.push('environment.NODE_OPTIONS sets permission flags; check they do not widen what tests may do');
  const pom = pit.buildTool === 'maven' ? await readFile(path.join(pit.template, 'pom.xml'), 'utf8').catch(() => '') : '';
  if (/\|\|\s*true|;\s*true\s*$|maven\.test\.failure\.ignore/.test(pit.testCommand) || /testFailureIgnore>\s*true|maven\.test\.failure\.ignore>\s*true/.test(pom)) {
    warnings.push('the test command ignores test failures: a finished run (whose sentinel test fails) then ends with exit code 0, which is graded TAMPERED');
  }
  return warnings;
}

/**
 * Without a shell, a command is split into an argument vector, read exactly as the sandbox will read
 * it: operators, globs, `$VAR` and substitutions are problems unless the PIT sets `"shell": true`.
 */
export function commandProblems(field: string, command: string, shell: boolean): string[] {
  if (shell) return [];
  let read: ReturnType<typeof readCommandLine>;
  try {
    read = readCommandLine(command);
  } catch (err) {
    return [`${field}: ${(err as Error).message}`];
  }
  const problems = read.shellOnly.map(({ kind, text }) => `${field}: ${shellOnlyProblem[kind](text)}`);
  if (!read.argv.length && !problems.length) problems.push(`${field}: empty command`);
  return problems;
}

const shellOnlyProblem: Record<ShellOnly['kind'], (text: string) => string> = {
  operator: (text) => `'${text}' is a shell operator; set "shell": true or split it into setupCommands`,
  glob: (text) => `'${text}' is a glob, which needs "shell": true`,
  variable: (text) => `'${text}' expands a variable, which needs "shell": true`,
  substitution: (text) => `'${text}' is a command substitution, which needs "shell": true`,
  comment: (text) => `'${text}' is a comment, which needs "shell": true`,
};

/**
 * The PIT's pom must resolve offline: a copy of the pom (and the template's settings.xml, when the
 * test command passes one) runs `test` with tests skipped, which resolves JUnit and the compiler,
 * resources and surefire plugins in a few seconds without needing the students' sources.
 */
async function mavenProblems(pit: PitConfig, deps: ValidateDeps): Promise<string[]> {
  const pom = pit.template && path.join(pit.template, 'pom.xml');
  if (!pit.template || !pom || !(await exists(pom))) return ['maven: the template has no pom.xml, so the student\'s pom.xml would decide how tests run'];
  if (!(await onPath('mvn'))) return ['maven: mvn is not installed, so the pom cannot be checked'];
  const settings = path.join(pit.template, 'settings.xml');
  const hasSettings = await exists(settings);
  const repo = deps.mavenRepo ?? MAVEN_OFFLINE_REPO;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'pit-validate-'));
  try {
    await copyFile(pom, path.join(scratch, 'pom.xml'));
    if (hasSettings) await copyFile(settings, path.join(scratch, 'settings.xml'));
    const where = hasSettings ? ['-s', 'settings.xml'] : [`-Dmaven.repo.local=${repo}`];
    const run = await execa('mvn', ['-o', '-q', '-B', ...where, '-DskipTests', 'test'], { cwd: scratch, reject: false, all: true, stdin: 'ignore', env: { MAVEN_SKIP_RC: '1' } });
    if (run.exitCode === 0) return [];
    deps.log.debug({ pitId: pit.pitId, output: run.all }, 'mvn output');
    const errors = (run.all ?? '').split('\n').filter((line) => line.startsWith('[ERROR]') && line.length > 8).slice(0, 3);
    const against = hasSettings ? 'the template\'s settings.xml' : repo;
    return [`maven: pom.xml does not resolve offline against ${against}: ${errors.map((e) => e.slice(8)).join(' ') || `mvn exited ${run.exitCode}`}`];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function onPath(program: string): Promise<boolean> {
  if (program.includes('/')) return true;
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    if (await access(path.join(dir, program), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}
