import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { exists } from '../paths.js';
import { sentinelLeftOut } from '../grading/sentinel.js';
import type { PitConfig } from '../grading/types.js';

/**
 * What a PIT's template and commands make impossible to grade right, each with its fix in one line:
 * files the template overwrites, expected tests it does not contain, a command that never runs the
 * sentinel. Plain text checks, conservative: a problem only where the template clearly disagrees.
 */
export async function templateProblems(pit: PitConfig): Promise<string[]> {
  const problems = [...sentinelCommandProblems(pit), ...cleanCommandProblems(pit)];
  if (!pit.template) return problems;
  for (const file of pit.requiredFiles) {
    if (await exists(path.join(pit.template, file))) problems.push(`requiredFiles: ${file} is in the template, which overwrites the student's copy: remove it from requiredFiles or from the template`);
  }
  const taken = await glob(pit.solution.filter((g) => !g.startsWith('!')), { cwd: pit.template, ignore: pit.solution.filter((g) => g.startsWith('!')).map((g) => g.slice(1)), dot: true });
  if (taken.length) problems.push(`solution: matches template files (${taken.sort().slice(0, 3).join(', ')}), which the template overwrites: narrow the globs or add "!${taken[0]}"`);
  const missing = await absentTests(pit, pit.template);
  if (missing.length) problems.push(`expectedTests: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''} not in the template's tests: fix the ids or run \`pit verify\` to write them`);
  return problems;
}

/** A command that names its test classes leaves out the run's sentinel class. */
function sentinelCommandProblems(pit: PitConfig): string[] {
  const why = sentinelLeftOut(pit);
  if (!why) return [];
  const fix = pit.buildTool === 'maven' ? 'remove -Dtest' : 'use --scan-classpath (or --select-package of the tests)';
  return [`testCommand: ${why}, so the run's sentinel test never runs: ${fix}; expectedTests says which tests count`];
}

/**
 * Maven's `clean` deletes target/ while the runner watches target/surefire-reports for rewritten reports:
 * every report would read as rewritten and every submission grade TAMPERED. Each run's workspace is fresh.
 */
function cleanCommandProblems(pit: PitConfig): string[] {
  if (pit.buildTool !== 'maven') return [];
  const cleans = [...pit.setupCommands, pit.testCommand].some((command) => /(^|\s)clean(\s|$)/.test(command));
  return cleans ? ['testCommand: mvn clean deletes the report folder the runner watches, so every result would be distrusted: drop clean (every run starts from a fresh workspace)'] : [];
}

/** The expected tests the template clearly lacks. */
async function absentTests(pit: PitConfig, template: string): Promise<string[]> {
  const ids = (pit.expectedTests ?? []).filter((id) => id.includes('#'));
  if (!ids.length) return [];
  const texts = new Map<string, string>();
  const text = async (file: string) => texts.get(file) ?? texts.set(file, await readFile(path.join(template, file), 'utf8').catch(() => '')).get(file)!;
  const language = ['maven', 'javac', 'junit'].includes(pit.buildTool) ? 'java' : pit.buildTool;
  const files = await glob(language === 'java' ? ['**/*.java'] : language === 'pytest' ? ['**/*.py'] : ['**/*.{js,mjs,cjs,ts,mts,cts}'], { cwd: template, dot: true });
  const absent: string[] = [];
  for (const id of ids) {
    const [classname, name] = [id.slice(0, id.indexOf('#')), id.slice(id.indexOf('#') + 1)];
    const found = language === 'java' ? await javaHas(files, text, classname, name)
      : language === 'pytest' ? await pythonHas(files, text, classname, name)
        : language === 'node' ? await anyHas(files, text, name)
          : true;
    if (!found) absent.push(id);
  }
  return absent;
}

type Text = (file: string) => Promise<string>;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A method of that name in a file of the (outer) class's name; a display name that is no identifier is not checked. */
async function javaHas(files: string[], text: Text, classname: string, name: string): Promise<boolean> {
  const method = name.replace(/\(.*$/, '');
  if (!/^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(method)) return true;
  const simple = classname.split('.').pop()!.split('$')[0]!;
  const candidates = files.filter((f) => path.basename(f) === `${simple}.java`);
  for (const file of candidates) if (new RegExp(`\\b${escape(method)}\\s*\\(`).test(await text(file))) return true;
  return false;
}

/** A `def name` in the module of that dotted path (a class in it may close the path); a parametrised id is checked by its function. */
async function pythonHas(files: string[], text: Text, classname: string, name: string): Promise<boolean> {
  const fn = name.replace(/\[.*$/, '');
  const parts = classname.split('.');
  const modules = parts.map((_, end) => `${parts.slice(0, end + 1).join('/')}.py`).filter((m) => files.includes(m));
  for (const file of modules) if (new RegExp(`\\bdef\\s+${escape(fn)}\\s*\\(`).test(await text(file))) return true;
  return false;
}

async function anyHas(files: string[], text: Text, name: string): Promise<boolean> {
  for (const file of files) if ((await text(file)).includes(name)) return true;
  return false;
}
