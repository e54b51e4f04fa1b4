import { existsSync } from 'node:fs';
import path from 'node:path';
import { quote } from 'shell-quote';
import type { SandboxLimits, SandboxMode } from './types.js';
import { dataLimitBytes } from './env.js';
import { filterArgs } from './filter.js';
import { PRIVATE_TMP_BYTES, rootScript } from './root.js';

export interface WrapOptions {
  mode: SandboxMode;
  uid: number;
  gid: number;
  limits: SandboxLimits;
  network: boolean;
  workspace: string;
  cwd: string;
  hide: string[];
  readable?: string[];
  /** The system-call filter's launcher (filter.ts), when this machine can enforce the filter. */
  filter?: string;
}

const CHOOM = ['/usr/bin/choom', '/bin/choom'].find((file) => existsSync(file));
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((file) => existsSync(file));
export const KEYCTL = ['/usr/bin/keyctl', '/bin/keyctl'].find((file) => existsSync(file));

/** The argument vector that runs `command` under the sandbox of `options.mode`. */
export function wrapCommand(command: string[], options: WrapOptions): string[] {
  // Under memory pressure the kernel's OOM killer picks the student's processes, not the runner.
  const limited = ['prlimit', ...limitArgs(options), '--', ...(CHOOM ? [CHOOM, '-n', '1000', '--'] : [])];
  // Last, right before the test: the links before it switch uid, enter namespaces and make a keyring.
  const filtered = [...(options.filter ? filterArgs(options.filter, options.network) : []), ...command];
  if (options.mode === 'self') return [...limited, ...filtered];
  const asSandboxUser = ['setpriv', `--reuid=${options.uid}`, `--regid=${options.gid}`, '--clear-groups', '--no-new-privs', '--', ...freshKeyring];
  if (options.mode === 'uid') return ['/bin/sh', '-c', [AS_ROOT, USER_NS_LIMIT, AS_TEST, ENTER].join('\n'), 'sandbox-uid', ...limited, ...asSandboxUser, ...filtered];
  return [
    'unshare', '--pid', '--fork', '--kill-child', '--mount-proc', '--ipc', ...(options.network ? [] : ['--net']), '--',
    '/bin/sh', '-c', initScript(options), 'sandbox-init', ...limited, ...asSandboxUser, ...filtered,
  ];
}

/** True when the loopback interface is brought up inside the network namespace. */
export const loopbackUp = IP !== undefined;

/**
 * A session keyring of the run's own, dying with its processes: else the test would share the
 * runner's (or its uid's) session keyring, a channel to the next submission. keyctl prints the
 * new keyring's id on stderr, so the test's stderr is set aside meanwhile (fd 3) and restored.
 */
const freshKeyring = KEYCTL
  ? ['/bin/sh', '-c', `exec 3>&2 2>/dev/null; exec ${KEYCTL} session - /bin/sh -c 'exec 2>&3 3>&-; exec "$@"' sandbox-keyring "$@"`, 'sandbox-keyring']
  : [];

/**
 * No user namespace can be created under the test: the commands that follow run in a user
 * namespace of their own (every uid mapped to itself, so nothing else changes) whose
 * `user.max_user_namespaces` is 0, a limit the sandbox uid has no capability to raise. Where the
 * runner may not create it (Fargate), the platform's seccomp profile already refuses user
 * namespaces to processes without CAP_SYS_ADMIN, and the commands run unchanged. Sets $userns.
 */
const USER_NS_LIMIT = `userns=
if unshare --user sleep 60 2>/dev/null & then
  holder=$!
  while [ -d /proc/$holder ] && [ /proc/$holder/ns/user -ef /proc/self/ns/user ]; do :; done
  if { echo '0 0 4294967295' > /proc/$holder/uid_map && echo '0 0 4294967295' > /proc/$holder/gid_map; } 2>/dev/null \\
    && exec 4</proc/$holder/ns/user \\
    && nsenter --user=/proc/self/fd/4 /bin/sh -c 'echo 0 > /proc/sys/user/max_user_namespaces' 2>/dev/null; then
    userns=/proc/self/fd/4
  fi
  kill $holder 2>/dev/null || true
  wait $holder 2>/dev/null || true
fi`;
/** Root's own commands are found in the system folders; the test gets its PATH back. */
const AS_ROOT = 'test_path=$PATH\nPATH=/usr/sbin:/usr/bin:/sbin:/bin';
const AS_TEST = 'PATH=$test_path';
const ENTER = 'if [ -n "$userns" ]; then exec nsenter --user="$userns" -- "$@"; else exec "$@"; fi';
const RUN = 'if [ -n "$userns" ]; then nsenter --user="$userns" -- "$@"; else "$@"; fi';

/**
 * Runs as root, PID 1 of the new namespaces: builds the allow-listed root (see root.ts), brings
 * loopback up (local servers in tests work; the host's stay unreachable), switches to it, then
 * runs the test as a child so its signals and exit status behave as usual. When this init exits,
 * the kernel kills whatever is left in the namespace.
 */
function initScript(options: WrapOptions): string {
  // The IPC namespace is the run's own; its System V shared memory is bounded like the temp folders.
  const ipcBounds = [`echo ${PRIVATE_TMP_BYTES} > /proc/sys/kernel/shmmax`, `echo ${PRIVATE_TMP_BYTES / 4096} > /proc/sys/kernel/shmall`];
  const lines = ['set -e', AS_ROOT, ...ipcBounds, ...rootScript(options.workspace, options.hide, readableInRoot(options))];
  if (!options.network && IP) lines.push(`${IP} link set lo up`);
  lines.push(USER_NS_LIMIT, AS_TEST, `cd ${q(options.cwd)}`, 'set +e', RUN, 'exit $?');
  return lines.join('\n');
}

/** The launcher's folder is bound into the sandbox's root too, or the test could not be started through it. */
function readableInRoot({ readable = [], filter }: WrapOptions): string[] {
  return filter ? [...readable, path.dirname(filter)] : readable;
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

const q = (arg: string) => quote([arg]);
