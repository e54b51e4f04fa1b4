import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import * as z from 'zod';
import { RunnerError } from '../errors.js';
import { pitIdProblem } from '../ids.js';
import { displayPath, isInside } from '../paths.js';
import type { PitConfig } from '../grading/types.js';
import type { SandboxLimits } from '../sandbox/index.js';
import { junitTestCommand } from './junit.js';
import { COORDINATES } from './maven-deps.js';

export const DEFAULT_REPORTS: Record<string, string> = {
  junit: 'test-reports/*.xml',
  maven: 'target/surefire-reports/TEST-*.xml',
  javac: 'test-reports/*.xml',
  pytest: 'test-reports/*.xml',
  node: 'test-reports/*.xml',
};

/**
 * The student's part of a project per build tool, when a PIT with a template does not say (`solution`);
 * a glob starting with `!` excludes. Everything else in a submission is dropped: no build setting,
 * test, plug-in or configuration file of the student's reaches the run. The PIT's `requiredFiles`
 * are always part of it.
 */
export const DEFAULT_SOLUTION: Record<string, string[]> = {
  maven: ['src/main/java/**/*.java'],
  javac: ['src/main/java/**/*.java'],
  junit: ['src/main/java/**/*.java'],
  pytest: ['**/*.py', '!tests/**', '!test/**', '!**/conftest.py', '!**/test_*.py', '!**/*_test.py', '!**/{sitecustomize,usercustomize,pytest}.py', '!**/_pytest/**'],
  node: ['**/*.{js,mjs,cjs}', '!tests/**', '!test/**', '!**/node_modules/**', '!**/*.{test,spec}.*', '!**/test-*'],
};

/** A PIT without a template takes its tests from the submission: the whole submission is its solution. */
export const WHOLE_SUBMISSION = ['**'];

const positiveInt = z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const text = z.string({ error: 'expected a string' }).trim().min(1, { error: 'must not be empty' });

/** A path inside the project: relative, no `..`, so config typos cannot reach outside the workspace. */
const projectPath = text.refine(
  (value) => !path.isAbsolute(value) && !value.split(/[\\/]/).includes('..'),
  { error: 'must be a relative path without ..' },
);

const limitsSchema = z.strictObject({
  processes: positiveInt,
  memoryMb: positiveInt,
  fileSizeMb: positiveInt,
  openFiles: positiveInt,
  cpuSeconds: positiveInt,
}).partial();

/** The JSON file `<pitsDir>/<pitId>.json`. Unknown fields are errors: a typo must not pass silently. */
export const pitFileSchema = z.strictObject({
  language: text,
  buildTool: text,
  testCommand: text,
  maxTimeoutMs: positiveInt,
  setupCommands: z.array(text).default([]),
  environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string({ error: 'expected a string' }), {
    error: (issue) => (issue.code === 'invalid_key' ? 'not a valid environment variable name' : undefined),
  }).default({}),
  requiredFiles: z.array(projectPath).default([]),
  shell: z.boolean().default(false),
  network: z.boolean().default(false),
  template: projectPath.optional(),
  solution: z.array(text.refine((glob) => !path.isAbsolute(glob.replace(/^!/, '')) && !glob.split(/[\\/]/).includes('..'), { error: 'must be a relative glob without ..' })).min(1, { error: 'expected at least one glob' }).optional(),
  sentinel: z.boolean().default(true),
  reports: z.union([projectPath, z.array(projectPath).min(1, { error: 'expected at least one glob' })], { error: 'expected a glob or a list of globs' }).optional(),
  expectedTests: z.array(text).optional(),
  weights: z.record(z.string(), z.number().nonnegative({ error: 'expected a number ≥ 0' })).optional(),
  limits: limitsSchema.default({}),
  expectedDurationMs: positiveInt.optional(),
  hiddenTests: z.array(text).min(1, { error: 'expected at least one pattern' }).optional(),
  hiddenFiles: z.array(text.refine((glob) => !path.isAbsolute(glob) && !glob.split(/[\\/]/).includes('..'), { error: 'must be a relative glob without ..' })).min(1, { error: 'expected at least one glob' }).optional(),
  hiddenFeedback: z.enum(['counts', 'none'], { error: 'expected "counts" or "none"' }).default('counts'),
  testTimeoutMs: positiveInt.optional(),
  testDependencies: z.array(text.regex(COORDINATES, { error: 'expected groupId:artifactId:version' })).optional(),
}).superRefine((pit, ctx) => {
  if (pit.testDependencies && pit.buildTool !== 'junit') ctx.addIssue({ code: 'custom', path: ['testDependencies'], message: 'only the junit build tool reads it (Maven reads the pom)' });
  if (pit.buildTool === 'junit' && pit.shell) ctx.addIssue({ code: 'custom', path: ['shell'], message: 'the junit build tool runs without a shell' });
  // Hidden tests are safe only in a run of their own: their files must be known to be left out of the visible run.
  if (pit.hiddenTests && !pit.hiddenFiles) ctx.addIssue({ code: 'custom', path: ['hiddenTests'], message: 'add "hiddenFiles": the template files that hold these tests (globs), so they run apart from the visible tests' });
  if (pit.hiddenFiles && !pit.hiddenTests) ctx.addIssue({ code: 'custom', path: ['hiddenFiles'], message: 'add "hiddenTests": the ids of the tests these files hold (patterns, `*` wildcard), e.g. "bank.SecretTest#*"' });
  if (!pit.weights || !pit.expectedTests) return;
  const expected = new Set(pit.expectedTests);
  for (const id of Object.keys(pit.weights)) {
    if (!expected.has(id)) ctx.addIssue({ code: 'custom', path: ['weights', id], message: 'not one of expectedTests' });
  }
});

export type PitFile = z.input<typeof pitFileSchema>;

export function defaultLimits(maxTimeoutMs: number): SandboxLimits {
  return { processes: 512, memoryMb: 1024, fileSizeMb: 256, openFiles: 1024, cpuSeconds: Math.ceil(maxTimeoutMs / 1000) * 2 };
}

/** Throws INVALID_PIT unless `pitId` is a PIT id. */
export function assertPitId(pitId: string): void {
  const problem = pitIdProblem(pitId);
  if (problem) throw new RunnerError('INVALID_PIT', problem);
}

/** Loads `<pitsDir>/<pitId>.json`, applies defaults, resolves the template. */
export async function loadPit(pitsDir: string, pitId: string): Promise<PitConfig> {
  assertPitId(pitId);
  const root = path.resolve(pitsDir);
  const configFile = path.join(root, `${pitId}.json`);
  const raw = await readFile(configFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new RunnerError('UNKNOWN_PIT', `no PIT '${pitId}' in ${root}`);
    throw err;
  });
  const file = parsePitFile(raw, configFile);
  const template = await resolveTemplate(root, pitId, file.template, configFile);
  return {
    pitId,
    language: file.language,
    buildTool: file.buildTool,
    testCommand: await testCommandOf(file, template, configFile),
    shell: file.shell,
    maxTimeoutMs: file.maxTimeoutMs,
    setupCommands: file.setupCommands,
    environment: file.environment,
    requiredFiles: file.requiredFiles,
    template,
    solution: file.solution ?? [...(template ? DEFAULT_SOLUTION[file.buildTool] ?? WHOLE_SUBMISSION : WHOLE_SUBMISSION), ...file.requiredFiles],
    sentinel: file.sentinel,
    reports: file.reports === undefined ? [DEFAULT_REPORTS[file.buildTool] ?? 'test-reports/*.xml'] : [file.reports].flat(),
    ...(file.expectedTests && { expectedTests: file.expectedTests }),
    ...(file.weights && { weights: file.weights }),
    ...(file.hiddenTests && { hiddenTests: file.hiddenTests }),
    ...(file.hiddenFiles && { hiddenFiles: await hiddenFilesOf(file.hiddenFiles, template, configFile) }),
    hiddenFeedback: file.hiddenFeedback,
    ...(file.testTimeoutMs && { testTimeoutMs: file.testTimeoutMs }),
    network: file.network,
    limits: { ...defaultLimits(file.maxTimeoutMs), ...file.limits },
    configFile,
  };
}

/** JSON text → validated file contents; INVALID_PIT names the file and every bad field. */
export function parsePitFile(raw: string, configFile: string): z.output<typeof pitFileSchema> {
  const shown = displayPath(configFile);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new RunnerError('INVALID_PIT', `${shown}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = pitFileSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown field`)
      : [`${issue.path.join('.') || '(file)'}: ${issue.message}`]);
  throw new RunnerError('INVALID_PIT', problems.map((problem) => `${shown}: ${problem}`).join('\n'), { details: { configFile, problems } });
}

/** The configured command, or for the junit build tool the `java` command it stands for. */
async function testCommandOf(file: z.output<typeof pitFileSchema>, template: string | undefined, configFile: string): Promise<string> {
  if (file.buildTool !== 'junit') return file.testCommand;
  try {
    return await junitTestCommand(file.testCommand, file.testDependencies, template);
  } catch (err) {
    if (!(err instanceof RunnerError) || err.code !== 'INVALID_PIT') throw err;
    throw new RunnerError('INVALID_PIT', `${displayPath(configFile)}: ${err.message}`);
  }
}

/** The template files the `hiddenFiles` globs name; each glob must name at least one. */
async function hiddenFilesOf(globs: string[], template: string | undefined, configFile: string): Promise<string[]> {
  if (!template) throw new RunnerError('INVALID_PIT', `${displayPath(configFile)}: hiddenFiles: the PIT has no template folder to hold them`);
  const files = new Set<string>();
  for (const pattern of globs) {
    const found = await glob(pattern, { cwd: template, dot: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false });
    if (!found.length) throw new RunnerError('INVALID_PIT', `${displayPath(configFile)}: hiddenFiles: ${pattern} matches no file of the template ${displayPath(template)}`);
    for (const file of found) files.add(file);
  }
  return [...files].sort();
}

async function resolveTemplate(root: string, pitId: string, configured: string | undefined, configFile: string): Promise<string | undefined> {
  const folder = path.resolve(root, configured ?? pitId);
  const isDir = await stat(folder).then((s) => s.isDirectory(), () => false);
  if (configured === undefined) return isDir ? folder : undefined;
  if (folder === root || !isInside(folder, root)) {
    throw new RunnerError('INVALID_PIT', `${displayPath(configFile)}: template: must be a folder inside ${root}`);
  }
  if (!isDir) throw new RunnerError('INVALID_PIT', `${displayPath(configFile)}: template: no folder ${folder}`);
  return folder;
}

