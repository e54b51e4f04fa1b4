import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { quote } from 'shell-quote';
import { isInside } from '../paths.js';
import type { SandboxLimits, SandboxMode } from './types.js';
import { dataLimitBytes } from './env.js';


export interface WrapOptions {
  mode: SandboxMode;
  uid: number;
  gid: number;
  limits: SandboxLimits;
  network: boolean;
  workspace: string;
  cwd: string;
  hide: string[];
}

/** Folders anyone may write: read-only inside the sandbox's mount namespace. */
const WORLD_WRITABLE = ['/tmp', '/var/tmp', '/dev/shm', '/run/lock', '/dev/mqueue'];
const CHOOM = ['/usr/bin/choom', '/bin/choom'].find((file) => existsSync(file));
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((file) => existsSync(file));

/** The argument vector that runs `command` under the sandbox of `options.mode`. */
export function wrapCommand(command: string[], options: WrapOptions): string[] {
  // Under memory pressure the kernel's OOM killer picks the student's processes, not the runner.
  const limited = ['prlimit', ...limitArgs(options), '--', ...(CHOOM ? [CHOOM, '-n', '1000', '--'] : [])];
  if (options.mode === 'self') return [...limited, ...command];
  const asSandboxUser = ['setpriv', `--reuid=${options.uid}`, `--regid=${options.gid}`, '--clear-groups', '--no-new-privs', '--'];
  if (options.mode === 'uid') return [...limited, ...asSandboxUser, ...command];
  return [
    'unshare', '--pid', '--fork', '--kill-child', '--mount-proc', ...(options.network ? [] : ['--net']), '--',
    '/bin/sh', '-c', initScript(options), 'sandbox-init', ...limited, ...asSandboxUser, ...command,
  ];
}

/** True when the loopback interface is brought up inside the network namespace. */
export const loopbackUp = IP !== undefined;

/**
 * Runs as root, PID 1 of the new namespaces: makes the world-writable folders read-only, masks the
 * hidden folders, brings loopback up (local servers in tests work; the host's stay unreachable),
 * then runs the test as a child so its signals and exit status behave as usual. When this init
 * exits, the kernel kills whatever is left in the namespace.
 */
function initScript(options: WrapOptions): string {
  const lines = ['set -e'];
  const writable = uniqueDirs(WORLD_WRITABLE);
  for (const dir of writable) lines.push(`mount -o bind,ro ${q(dir)} ${q(dir)}`);
  if (writable.some((dir) => isInside(options.workspace, dir))) {
    // A bind mount inherits the read-only flag of the folder it sits in: lift it for the workspace.
    lines.push(`mount --bind ${q(options.workspace)} ${q(options.workspace)}`, `mount -o remount,bind,rw ${q(options.workspace)}`);
  }
  for (const dir of hideable(options.hide, options.workspace)) lines.push(`mount -t tmpfs -o ro,size=4k,mode=0555 sandbox-hidden ${q(dir)}`);
  if (!options.network && IP) lines.push(`${IP} link set lo up`);
  lines.push(`cd ${q(options.cwd)}`, 'set +e', '"$@"', 'exit $?');
  return lines.join('\n');
}

/** Folders that can be masked: existing directories that neither hold nor sit inside the workspace. */
export function hideable(hide: string[], workspace: string): string[] {
  return uniqueDirs(hide).filter((dir) => !isInside(workspace, dir) && !isInside(dir, workspace));
}

function limitArgs({ mode, limits }: WrapOptions): string[] {
  // Root sets soft and hard alike so tests cannot raise them; the runner's own user may only lower soft limits.
  const both = (soft: number, hard = soft) => (mode === 'self' ? `${soft}:` : `${soft}:${hard}`);
  const args = [
    `--fsize=${both(limits.fileSizeMb * 1024 * 1024)}`,
    `--nofile=${both(limits.openFiles)}`,
    `--cpu=${both(limits.cpuSeconds, limits.cpuSeconds + 5)}`,
    `--data=${both(dataLimitBytes(limits))}`,
    '--core=0',
  ];
  // RLIMIT_NPROC counts every process of the uid machine-wide: only meaningful for the dedicated uid.
  if (mode !== 'self') args.unshift(`--nproc=${limits.processes}`);
  return args;
}

function uniqueDirs(dirs: string[]): string[] {
  const real = dirs.filter((dir) => isDirectory(dir)).map((dir) => realpathSync(dir));
  return [...new Set(real)];
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

const q = (arg: string) => quote([arg]);
