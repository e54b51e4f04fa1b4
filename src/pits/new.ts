import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RunnerError, usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { displayPath, exists } from '../paths.js';
import { assertPitId, loadPit, parsePitFile, type PitFile, DEFAULT_SOLUTION } from './load.js';
import { buildToolDefaults, LANGUAGE_BUILD_TOOL } from './skeleton.js';
import { commandProblems } from './validate.js';

export const KNOWN_LANGUAGES = Object.keys(LANGUAGE_BUILD_TOOL);

/** What `pit new` asks for; flags and prompts both end here. */
export interface NewPitAnswers {
  id: string;
  language: string;
  buildTool: string;
  testCommand: string;
  maxTimeoutMs: number;
  setupCommands: string[];
  requiredFiles: string[];
}

export interface NewPitSummary {
  pitId: string;
  configFile: string;
  template: string;
  templateFiles: { written: string[]; kept: string[] };
  testCommand: string;
  maxTimeoutMs: number;
  warnings: string[];
}

/** Fills what was not given from the language's build tool and that tool's defaults ('' when it has none). */
export function defaultAnswers(given: Partial<NewPitAnswers> & { id: string }): NewPitAnswers {
  const buildTool = given.buildTool ?? LANGUAGE_BUILD_TOOL[given.language ?? 'java'] ?? 'maven';
  const defaults = buildToolDefaults(buildTool, given.id);
  return {
    id: given.id,
    language: given.language ?? defaults?.language ?? 'java',
    buildTool,
    testCommand: given.testCommand ?? defaults?.testCommand ?? '',
    maxTimeoutMs: given.maxTimeoutMs ?? defaults?.maxTimeoutMs ?? 60_000,
    setupCommands: given.setupCommands ?? defaults?.setupCommands ?? [],
    requiredFiles: given.requiredFiles ?? [],
  };
}

/** Flag mode: only `id` is required, and `testCommand` for a build tool without defaults. */
export function completeAnswers(given: Partial<NewPitAnswers>): NewPitAnswers {
  if (!given.id) throw usageError('pit new: --id is required (or run it without --id to be asked)');
  const answers = defaultAnswers({ ...given, id: given.id });
  if (!answers.testCommand) throw usageError(`pit new: --test-command is required for build tool '${answers.buildTool}' (it has no default)`);
  return answers;
}

export function answerWarnings(answers: Pick<NewPitAnswers, 'language' | 'buildTool'>): string[] {
  const warnings: string[] = [];
  if (!KNOWN_LANGUAGES.includes(answers.language)) warnings.push(`language '${answers.language}' is not one of ${KNOWN_LANGUAGES.join(', ')}; accepted as is`);
  if (!buildToolDefaults(answers.buildTool, 'x')) warnings.push(`build tool '${answers.buildTool}' has no defaults (reports: test-reports/*.xml, no template skeleton); accepted as is`);
  return warnings;
}

export function configPath(pitsDir: string, pitId: string): string {
  assertPitId(pitId);
  return path.join(path.resolve(pitsDir), `${pitId}.json`);
}

export async function pitExists(pitsDir: string, pitId: string): Promise<boolean> {
  return exists(configPath(pitsDir, pitId));
}

/**
 * Writes `<pitsDir>/<id>.json` and the template skeleton (only files not already there), after checking
 * the config against the loader's own schema, so what it writes always loads.
 */
export async function createPit(answers: NewPitAnswers, options: { pitsDir: string; overwrite: boolean; log: Logger }): Promise<NewPitSummary> {
  const configFile = configPath(options.pitsDir, answers.id);
  if (!options.overwrite && (await pitExists(options.pitsDir, answers.id))) {
    throw usageError(`${displayPath(configFile)} already exists; pass --force to overwrite it`);
  }
  const defaults = buildToolDefaults(answers.buildTool, answers.id);
  const shell = defaults?.shell ?? false;
  const file: PitFile = {
    language: answers.language,
    buildTool: answers.buildTool,
    testCommand: answers.testCommand,
    maxTimeoutMs: answers.maxTimeoutMs,
    setupCommands: answers.setupCommands,
    requiredFiles: answers.requiredFiles,
    // written out so the instructor sees (and narrows) what is taken from a submission
    ...(DEFAULT_SOLUTION[answers.buildTool] && { solution: [...DEFAULT_SOLUTION[answers.buildTool]!, ...answers.requiredFiles] }),
    ...(shell && { shell }),
    ...(defaults?.environment && { environment: defaults.environment }),
  };
  const text = `${JSON.stringify(file, null, 2)}\n`;
  try {
    parsePitFile(text, configFile);
  } catch (err) {
    throw usageError(`pit new: ${(err as Error).message}`);
  }
  const problems = [...answers.setupCommands.map((c, i) => commandProblems(`setupCommands.${i}`, c, shell)), commandProblems('testCommand', answers.testCommand, shell)].flat();
  if (problems.length) throw new RunnerError('USAGE', `pit new: ${problems.join('; ')}`);

  const template = path.join(path.dirname(configFile), answers.id);
  await mkdir(template, { recursive: true });
  const templateFiles = { written: [] as string[], kept: [] as string[] };
  for (const [relative, content] of Object.entries(defaults?.files ?? {})) {
    const target = path.join(template, relative);
    await mkdir(path.dirname(target), { recursive: true });
    const written = await writeFile(target, content, { flag: 'wx' }).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return false;
      throw err;
    });
    templateFiles[written ? 'written' : 'kept'].push(relative);
  }
  await writeFile(configFile, text);
  await loadPit(options.pitsDir, answers.id);
  const warnings = answerWarnings(answers);
  for (const warning of warnings) options.log.warn({ pitId: answers.id }, warning);
  options.log.info({ pitId: answers.id, configFile, template }, 'PIT created');
  return { pitId: answers.id, configFile, template, templateFiles, testCommand: answers.testCommand, maxTimeoutMs: answers.maxTimeoutMs, warnings };
}

export function formatSummary(summary: NewPitSummary): string {
  const files = [...summary.templateFiles.written, ...summary.templateFiles.kept.map((f) => `${f} (kept)`)];
  return [
    `created PIT ${summary.pitId}`,
    `  config:       ${displayPath(summary.configFile)}`,
    `  template:     ${displayPath(summary.template)}/${files.length ? ` (${files.join(', ')})` : ''}`,
    `  test command: ${summary.testCommand}`,
    `  timeout:      ${summary.maxTimeoutMs} ms`,
    ...summary.warnings.map((w) => `  warning:      ${w}`),
    `next: write the tests in the template, then run \`pit-runner pit verify ${summary.pitId} --solution <dir|zip>\``,
    '',
  ].join('\n');
}
