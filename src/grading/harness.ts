import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installDir } from '../config.js';

/**
 * The runtime harnesses of pytest and node (files in ./harness/, shipped beside the bundle like the
 * migrations) and what a run's environment needs to load them. Each reads the run's key from the
 * verdict channel before any solution code loads and signs every test's result (verdict.ts); the
 * sentinel is their own record, failing with a nonce derived from the key, so nothing of it is on disk.
 */

/** The exit code with which a harness stops a run it found tampered with. */
export const HARNESS_REFUSED_EXIT = 86;

/** The harness files: beside this module (src/grading/harness via tsx, dist/harness in the bundle), else the install's sources. */
export function harnessDir(): string {
  const besideModule = fileURLToPath(new URL('./harness/', import.meta.url));
  return existsSync(besideModule) ? besideModule : path.join(installDir, 'src', 'grading', 'harness');
}

/** What the harness puts in the sentinel's failure message: only the key's holder can compute it. */
export const sentinelNonce = (key: Buffer) => createHmac('sha256', key).update('pit-runner sentinel').digest('hex').slice(0, 24);

export const PYTEST_SENTINEL_ID = 'pit_runner#sentinel';
export const NODE_SENTINEL_ID = 'test#pit sentinel';

/** The folders of a run, as the sandbox's processes see them (real paths). */
export interface RunFolders { project: string; home: string; tmp: string; harness: string }

/**
 * pytest loads its harness itself (PYTEST_PLUGINS), whatever the command names; `python3 -I` ignores
 * PYTHONPATH, so a one-line .pth in the system's site-packages (scripts/setup.sh, the Dockerfile) adds
 * PIT_RUNNER_HARNESS_DIR to the path when that variable is set.
 */
export function pytestHarnessEnv(folders: RunFolders, solution: string[], pitEnv: Record<string, string>): Record<string, string> {
  return {
    // without -I, nothing of the project or of the sandbox's HOME may run before the harness has the key:
    // no working folder first on the path (a student's argparse.py, sitecustomize.py), no user site
    PYTHONSAFEPATH: '1',
    PYTHONNOUSERSITE: '1',
    PYTEST_PLUGINS: ['pit_runner_pytest', pitEnv.PYTEST_PLUGINS].filter(Boolean).join(','),
    PIT_RUNNER_HARNESS_DIR: folders.harness,
    PIT_RUNNER_PROJECT: folders.project,
    PIT_RUNNER_SOLUTION: JSON.stringify(solution),
    PIT_RUNNER_WRITABLE: JSON.stringify([folders.home, folders.tmp]),
  };
}

/**
 * node loads its harness with --require in every process of the run, under the permission model: reads
 * only of the project, the harness and the run's HOME and TMPDIR (so not /proc), writes only of the
 * project, HOME and TMPDIR, no inspector, worker, addon or process.binding; child processes only for
 * `node --test`'s runner, which takes the right away from each test file's process.
 */
export function nodeHarnessEnv(folders: RunFolders, testCommand: string, pitEnv: Record<string, string>, version = process.versions.node): Record<string, string> {
  const quoted = (option: string, value: string) => `${option}=${JSON.stringify(value)}`;
  const options = [
    quoted('--require', path.join(folders.harness, 'pit-runner-node.cjs')),
    permissionFlag(version),
    ...[folders.project, folders.harness, folders.home, folders.tmp].map((dir) => quoted('--allow-fs-read', dir)),
    ...[folders.project, folders.home, folders.tmp].map((dir) => quoted('--allow-fs-write', dir)),
    ...(/--test\b/.test(testCommand) ? ['--allow-child-process'] : []),
    '--disable-warning=ExperimentalWarning',
    '--disable-warning=SecurityWarning',
    pitEnv.NODE_OPTIONS,
  ];
  return { NODE_OPTIONS: options.filter(Boolean).join(' ') };
}

/** `--experimental-permission` until node 22.13 / 23.5 named it `--permission`. */
export function permissionFlag(version: string): string {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission';
}
