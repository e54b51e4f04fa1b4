import { randomBytes } from 'node:crypto';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';
import { nodePreload, pytestSentinelModule } from './harness.js';
import { sandboxDirs } from '../sandbox/index.js';
import type { PitConfig } from './types.js';

/**
 * A test that must fail, with a name drawn at random for each run, placed with the instructor's
 * tests. A finished harness reports it failed with `nonce` in its message; a report that says it
 * passed, or reports tests without it, was not written by the harness (TAMPERED).
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
 * Writes the run's sentinel (and the runtime harness that goes with it); undefined when the PIT's tests
 * leave no place for one. It goes beside a test file of this run: never one of `leaveOut` (hidden files).
 */
export async function plantSentinel(pit: PitConfig, projectRoot: string, workspace: string, solution: string[], leaveOut: string[] = []): Promise<Sentinel | undefined> {
  if (!pit.sentinel || !pit.template) return undefined;
  const tag = randomBytes(6).toString('hex');
  const nonce = randomBytes(12).toString('hex');
  const message = `pit-runner sentinel ${nonce}: this test always fails`;
  switch (pit.buildTool) {
    case 'maven':
    case 'javac':
    case 'junit': return javaSentinel(pit.template, projectRoot, tag, nonce, message, leaveOut);
    case 'pytest': {
      // as Python names them: the sandbox runs in the real paths
      const [project, dirs] = [await realpath(projectRoot), sandboxDirs(await realpath(workspace))];
      return pytestSentinel(pit.template, projectRoot, tag, nonce, message, solution.map((file) => path.join(project, file)), [dirs.home, dirs.tmp], leaveOut);
    }
    case 'node': return nodeSentinel(pit, workspace, tag, nonce, message);
    default: return undefined;
  }
}

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

async function pytestSentinel(template: string, projectRoot: string, tag: string, nonce: string, message: string, solution: string[], writable: string[], leaveOut: string[]): Promise<Sentinel | undefined> {
  const [first] = (await glob(['**/test_*.py', '**/*_test.py'], { cwd: template })).filter((file) => !leaveOut.includes(file)).sort();
  if (!first) return undefined;
  // pytest collects a folder's files by name: "test_0…" is imported before the instructor's tests, so
  // its harness is in place before any test module imports the solution.
  const module = `test_0pit_sentinel_${tag}`;
  const test = `test_pit_sentinel_${tag}`;
  const folder = path.dirname(first);
  const file = path.join(projectRoot, folder, `${module}.py`);
  await writeFile(file, pytestSentinelModule(test, message, solution, writable));
  const classname = [...(folder === '.' ? [] : folder.split('/')), module].join('.');
  return { id: `${classname}#${test}`, nonce, files: [file], env: {} };
}

async function nodeSentinel(pit: PitConfig, workspace: string, tag: string, nonce: string, message: string): Promise<Sentinel> {
  const dir = path.join(workspace, 'harness');
  await mkdir(dir, { mode: 0o755 });
  const file = path.join(dir, 'preload.mjs');
  const name = `pit sentinel ${tag}`;
  await writeFile(file, nodePreload(name, message));
  const options = [`--import=${JSON.stringify(pathToFileURL(file).href)}`, pit.environment.NODE_OPTIONS].filter(Boolean).join(' ');
  return { id: `test#${name}`, nonce, files: [dir, file], env: { NODE_OPTIONS: options } };
}
