import { stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { installDir } from '../config.js';
import { firstClosedAncestor } from '../paths.js';

/**
 * The system-call filter's launcher (native/sandbox-filter): the last link of the wrapper chain,
 * after the uid switch and the run's keyring. It refuses network sockets, IPC objects, ptrace,
 * keyrings, namespaces, mounts and other kernel surfaces to the test and everything it starts.
 */
export const FILTER_LAUNCHER = path.join(installDir, 'native', 'sandbox-filter', 'build', 'sandbox-filter');

/** The arguments that run a command under the filter; a PIT with `network: true` keeps its sockets. */
export function filterArgs(launcher: string, network: boolean): string[] {
  return [launcher, ...(network ? ['--network'] : []), '--'];
}

/**
 * Why the filter cannot be enforced here, or undefined when it can: the launcher is built, this
 * kernel takes the filter, and (`asOthers`: tests run as a sandbox uid) other users can run it.
 */
export async function filterProblem(asOthers: boolean, launcher = FILTER_LAUNCHER): Promise<string | undefined> {
  const info = await stat(launcher).catch(() => undefined);
  if (!info?.isFile()) return `no ${launcher} (build it with native/sandbox-filter/build.sh: needs a C compiler)`;
  if (asOthers) {
    const closed = await firstClosedAncestor(path.dirname(launcher));
    if ((info.mode & 0o001) === 0 || closed) return `the sandbox uids cannot run ${launcher} (${closed ?? 'the file'} is not o+x)`;
  }
  const check = await execa(launcher, ['--check'], { reject: false, timeout: 5_000, stdin: 'ignore' });
  if (check.exitCode !== 0) return `${launcher} --check failed: ${check.stderr || check.shortMessage}`;
  return undefined;
}
