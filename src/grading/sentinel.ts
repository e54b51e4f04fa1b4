import { randomBytes } from 'node:crypto';
import { readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { harnessDir, nodeHarnessEnv, NODE_SENTINEL_ID, pytestHarnessEnv, PYTEST_SENTINEL_ID, sentinelNonce, type RunFolders } from './harness.js';
import { RunnerError } from '../errors.js';
import { sandboxDirs } from '../sandbox/index.js';
import type { PitConfig } from './types.js';
import { newHarnessKey } from './verdict.js';

/**
 * A test that must fail: for Java, a test class with a name drawn at random for each run, placed with
 * the instructor's tests; for pytest and node, a record of the runtime harness itself, whose nonce is
 * derived from the run's key. A finished harness reports it failed with `nonce` in its message; a report
 * that says it passed, or reports tests without it, was not written by the harness (TAMPERED).
 */
export interface Sentinel {
  id: string;                            // "classname#name", as reports.ts's testId
  nonce: string;
  files: string[];                       // absolute paths written (instructor files: immutable)
  env: Record<string, string>;           // added to the run's environment
  /** Set when the build tool's harness reports on the verdict channel (verdict.ts): report files are then not read. */
  harnessKey?: Buffer;
}

const JAVA_TEST_FOLDER = 'src/test/java';

/**
 * Why the PIT's test command cannot run a Java sentinel, whose class is drawn at random per run: it
 * names the test classes it runs. A fact of the configuration, which no solution can change.
 */
export function sentinelLeftOut(pit: Pick<PitConfig, 'buildTool' | 'testCommand' | 'sentinel'>): string | undefined {
  if (!pit.sentinel) return undefined;
  if (pit.buildTool === 'maven' && /(^|\s)-Dtest=/.test(pit.testCommand)) return '-Dtest=… selects test classes';
  if (pit.buildTool === 'javac' && /--select-(class|method)\b/.test(pit.testCommand)) return '--select-class/--select-method selects test classes';
  return undefined;
}

/** The run's folders as the sandbox's processes name them: it runs in the real paths. */
async function runFolders(projectRoot: string, workspace: string): Promise<RunFolders> {
  const [project, dirs, harness] = [await realpath(projectRoot), sandboxDirs(await realpath(workspace)), await realpath(harnessDir())];
  return { project, home: dirs.home, tmp: dirs.tmp, harness };
}

/**
 * Writes the run's sentinel (and the runtime harness that goes with it); undefined when the PIT's tests
 * leave no place for one. A Java sentinel goes beside a test file of this run: never one of `leaveOut` (hidden files).
 */
export async function plantSentinel(pit: PitConfig, projectRoot: string, workspace: string, solution: string[], leaveOut: string[] = []): Promise<Sentinel | undefined> {
  if (!pit.sentinel || !pit.template) return undefined;
  const tag = randomBytes(6).toString('hex');
  const nonce = randomBytes(12).toString('hex');
  const message = `pit-runner sentinel ${nonce}: this test always fails`;
  switch (pit.buildTool) {
    case 'maven':
    case 'javac': return javaSentinel(pit.template, projectRoot, tag, nonce, message, leaveOut);
    // The junit tool's helper reports on the verdict channel: its JVM confines the solution (java/junit-runner).
    case 'junit': return withHarnessKey(await javaSentinel(pit.template, projectRoot, tag, nonce, message, leaveOut));
    case 'pytest': {
      // a module of that name beside the tests would be imported instead of the harness (the working folder comes first on the path)
      if (solution.some((file) => /^pit_runner_pytest(\.py|\/|$)/.test(file))) throw new RunnerError('INVALID_SUBMISSION', 'pit_runner_pytest is a module name the grader reserves: rename that file');
      const folders = await runFolders(projectRoot, workspace);
      return runtimeSentinel(PYTEST_SENTINEL_ID, pytestHarnessEnv(folders, solution.map((file) => path.join(folders.project, file)), pit.environment));
    }
    case 'node': return runtimeSentinel(NODE_SENTINEL_ID, nodeHarnessEnv(await runFolders(projectRoot, workspace), pit.testCommand, pit.environment));
    default: return undefined;
  }
}

const withHarnessKey = (sentinel: Sentinel | undefined) => sentinel && { ...sentinel, harnessKey: newHarnessKey() };

async function javaSentinel(template: string, projectRoot: string, tag: string, nonce: string, message: string, leaveOut: string[]): Promise<Sentinel | undefined> {
  const [first] = (await glob([`${JAVA_TEST_FOLDER}/**/*.java`], { cwd: template })).filter((file) => !leaveOut.includes(file)).sort();
  if (!first) return undefined;
  const source = await readFile(path.join(template, first), 'utf8');
  const annotation = source.includes('org.junit.jupiter') ? 'org.junit.jupiter.api.Test' : /\borg\.junit\.Test\b|import\s+org\.junit\.\*/.test(source) ? 'org.junit.Test' : undefined;
  if (!annotation) return undefined;
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(source)?.[1];
  const className = `PitSentinel${tag}Test`;
  const method = `sentinel${tag}`;
  const file = path.join(projectRoot, path.dirname(first), `${className}.java`);
  await writeFile(file, [
    ...(pkg ? [`package ${pkg};`, ''] : []),
    `public class ${className} {`,
    `    @${annotation}`,
    `    public void ${method}() { throw new AssertionError(${JSON.stringify(message)}); }`,
    '}',
    '',
  ].join('\n'));
  return { id: `${pkg ? `${pkg}.` : ''}${className}#${method}`, nonce, files: [file], env: {} };
}

/** The harness signs every result, the sentinel's among them: nothing is added to the instructor's files. */
function runtimeSentinel(id: string, env: Record<string, string>): Sentinel {
  const harnessKey = newHarnessKey();
  return { id, nonce: sentinelNonce(harnessKey), files: [], env, harnessKey };
}
